import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ExecaCommandRunner } from "../adapters/execa/execa-command-runner.js";
import { DrService } from "../app/dr-service.js";
import { loadConfig } from "../config/load-config.js";
import { loadRunbooks } from "../config/load-runbooks.js";
import type { Config } from "../domain/config.js";
import type { Runbook } from "../domain/runbook.js";
import { RunEngine } from "../engine/run-engine.js";
import type { AnyStepKind, StepServices } from "../engine/step-kind.js";
import { createStepKindRegistry, type StepKindRegistry } from "../engine/step-kinds/registry.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Directory, DirectoryRelay } from "../ports/directory.js";
import { ObserverRelay, type RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import { openRedisStore } from "./open-redis-store.js";

export interface RuntimeOptions {
  configPath: string;
  runbooksDir?: string;
  env?: NodeJS.ProcessEnv;
  /** A store to use instead of the configured Redis (tests use the in-memory store). */
  store?: RunStore;
  clock?: Clock;
  directory?: Directory;
  observers?: RunObserver[];
  extraStepKinds?: AnyStepKind[];
  services?: Partial<StepServices>;
  ownerId?: string;
  autoStart?: boolean;
}

export interface Runtime {
  config: Config;
  runbooks: Map<string, Runbook>;
  registry: StepKindRegistry;
  store: RunStore;
  engine: RunEngine;
  service: DrService;
  clock: Clock;
  /** Observers attached after start-up (the Slack notifier). */
  observers: ObserverRelay;
  /** Who belongs to which user group; the Slack surface plugs its directory in. */
  directory: DirectoryRelay;
  close(): Promise<void>;
}

/** Wires drbot together: configuration, runbooks, store, engine, use cases. The one composition root. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const config = await loadConfig(options.configPath);
  const registry = createStepKindRegistry(...(options.extraStepKinds ?? []));
  const runbooks = await loadRunbooks(
    options.runbooksDir ?? env.DRBOT_RUNBOOKS ?? "runbooks",
    config,
    registry,
  );
  const clock = options.clock ?? systemClock;
  const store = options.store ?? (await openRedisStore(config, env));
  const observer = new ObserverRelay();
  for (const o of options.observers ?? []) observer.attach(o);
  const directory = new DirectoryRelay(options.directory);
  const secrets = [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.SLACK_APP_TOKEN].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  const services: StepServices = { commands: new ExecaCommandRunner(), secrets, ...options.services };
  const engine = new RunEngine({
    store,
    registry,
    services,
    config,
    clock,
    ownerId: options.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    leaseTtlMs: config.engine.leaseTtl,
    maxParallelSteps: config.engine.maxParallelSteps,
    observer,
    scopeTtlMs: 6 * 3_600_000,
  });
  const service = new DrService({
    config,
    runbooks,
    store,
    engine,
    registry,
    clock,
    directory,
    observer,
    autoStart: options.autoStart ?? true,
  });
  return {
    config,
    runbooks,
    registry,
    store,
    engine,
    service,
    clock,
    observers: observer,
    directory,
    async close() {
      await engine.stop();
      await store.close();
    },
  };
}
