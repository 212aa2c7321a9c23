import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ExecaCommandRunner } from "../adapters/execa/execa-command-runner.js";
import { KubernetesSite } from "../adapters/kubernetes/kubernetes-site.js";
import { DrService } from "../app/dr-service.js";
import { loadConfig } from "../config/load-config.js";
import { loadRunbooks } from "../config/load-runbooks.js";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import type { RpoReading } from "../domain/rpo.js";
import type { Runbook } from "../domain/runbook.js";
import { RunEngine } from "../engine/run-engine.js";
import type { AnyStepKind, StepServices } from "../engine/step-kind.js";
import type { ArtifactStore, KubernetesServices } from "../engine/step-kinds/k8s-common.js";
import { createStepKindRegistry, type StepKindRegistry } from "../engine/step-kinds/registry.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Directory, DirectoryRelay } from "../ports/directory.js";
import { ObserverRelay, type RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { SitePort } from "../ports/site.js";
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
  /** Sites to use instead of the configured kubeconfigs (tests of the surfaces, the demo). */
  sites?: KubernetesServices;
  /** Reads the data sources' RPO exposure (the demo passes simulated readings). */
  readRpo?: () => Promise<RpoReading[]>;
}

const ARTIFACT_TTL_MS = 90 * 86_400_000;

/** Sites built on first use, so a missing kubeconfig fails the step that needs it, not start-up. */
export function kubernetesSites(config: Config): KubernetesServices {
  const built = new Map<string, SitePort>();
  return {
    site(name) {
      const found = built.get(name);
      if (found) return found;
      const site = config.sites.find((s) => s.name === name);
      if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
      const created = new KubernetesSite(site);
      built.set(name, created);
      return created;
    },
  };
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
  const sites = options.sites ?? kubernetesSites(config);
  const artifacts: ArtifactStore = {
    put: async (runId, key, value) =>
      void (await store.kvSet(`artifact:${runId}:${key}`, value, { ttlMs: ARTIFACT_TTL_MS })),
    get: (runId, key) => store.kvGet(`artifact:${runId}:${key}`),
  };
  const services: StepServices = {
    commands: new ExecaCommandRunner(),
    secrets,
    sites,
    artifacts,
    ...options.services,
  };
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
    siteHealth: async (name) => sites.site(name).health(),
    ...(options.readRpo ? { readRpo: options.readRpo } : {}),
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
