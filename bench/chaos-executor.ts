import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { createPinoLogger } from "../src/adapters/logging/pino-logger.js";
import { MemorySiteState } from "../src/adapters/memory/memory-site-state.js";
import { DrService } from "../src/app/dr-service.js";
import { parseEnvironment } from "../src/config/environment.js";
import { RunEngine } from "../src/engine/run-engine.js";
import type { RunStore } from "../src/ports/run-store.js";
import { openRedisStore } from "../src/runtime/open-redis-store.js";
import { chaosConfig, chaosRegistry, wallNow } from "./chaos-steps.js";

/**
 * One executor of the chaos benchmark, a process of its own: drbot's Redis store as the runtime
 * opens it (src/runtime/open-redis-store.ts), through Sentinel
 * (REDIS_SENTINELS, the passwords, and REDIS_SENTINEL_ADDRESS_MAP sending it through the TCP
 * proxies the benchmark partitions), the run store, the engine and the supervisor as `drbot serve`
 * runs them: every CHAOS_SUPERVISE_MS it takes over executing runs that no live executor holds. It
 * notes each lease it claims or releases in leases.log (outside Redis, O_APPEND) so the benchmark
 * can time takeovers. SIGTERM drains as `drbot serve` does; the benchmark mostly SIGKILLs.
 */
export interface LeaseLine {
  run: string;
  owner: string;
  /** A claim answered yes; a release answered, or not ("release-unanswered": the lease lapses by itself). */
  ev: "claim" | "release" | "release-unanswered";
  t: number;
}

const settings = z
  .object({
    CHAOS_DIR: z.string().min(1),
    CHAOS_OWNER: z.string().min(1),
    CHAOS_PREFIX: z.string().min(1),
    CHAOS_LEASE_TTL_MS: z.coerce.number().int().min(300),
    CHAOS_SUPERVISE_MS: z.coerce.number().int().min(50),
    CHAOS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100),
  })
  .parse(process.env);

const log = createPinoLogger({
  level: "warn",
  write: (line) => process.stderr.write(line),
  secrets: () =>
    [process.env.REDIS_PASSWORD ?? "", process.env.REDIS_SENTINEL_PASSWORD ?? ""].filter(Boolean),
});
const owner = settings.CHAOS_OWNER;
const leases = join(settings.CHAOS_DIR, "leases.log");
const note = (run: string, ev: LeaseLine["ev"]) => {
  const line: LeaseLine = { run, owner, ev, t: wallNow() };
  appendFileSync(leases, `${JSON.stringify(line)}\n`, { flag: "a" });
};

const base = chaosConfig(settings.CHAOS_LEASE_TTL_MS);
const config = {
  ...base,
  redis: {
    ...base.redis,
    keyPrefix: settings.CHAOS_PREFIX,
    commandTimeout: settings.CHAOS_COMMAND_TIMEOUT_MS,
  },
};
// As drbot opens it: through Sentinel (so a replica is expected), on one connection.
const { store: redisStore } = await openRedisStore(config, parseEnvironment(process.env), log);
/** The run store, noting the leases this executor holds (when a claim is answered, not when sent). */
const store: RunStore = new Proxy(redisStore, {
  get(target, name, receiver) {
    const value: unknown = Reflect.get(target, name, receiver);
    if (name === "claimLease")
      return async (runId: string, ...rest: unknown[]) => {
        const claim = await target.claimLease(runId, ...(rest as [string, number]));
        if (claim.ok) note(runId, "claim");
        return claim;
      };
    if (name === "releaseLease")
      return async (runId: string, token: string) => {
        try {
          await target.releaseLease(runId, token);
          note(runId, "release");
        } catch (error) {
          note(runId, "release-unanswered");
          throw error;
        }
      };
    return typeof value === "function" ? value.bind(target) : value;
  },
});

const clock = { now: () => Date.now() };
const registry = chaosRegistry(settings.CHAOS_DIR, owner);
const engine = new RunEngine({
  store,
  registry,
  config,
  clock,
  services: { commands: { run: async () => Promise.reject(new Error("no commands here")) }, secrets: [] },
  ownerId: owner,
  leaseTtlMs: config.engine.leaseTtl,
  maxParallelSteps: config.engine.maxParallelSteps,
  scopeTtlMs: 60_000,
  controlPollMs: 200,
  log,
  observer: { onRunEvent: () => undefined },
});
const service = new DrService({
  config,
  runbooks: new Map(),
  store,
  siteState: new MemorySiteState(),
  engine,
  registry,
  clock,
  directory: { groupsOf: async () => [] },
  observer: { onRunEvent: () => undefined },
  log,
});

let rounds = Promise.resolve();
const supervise = () => {
  rounds = rounds.then(async () => {
    try {
      await service.supervise();
    } catch (error) {
      log.warn("the supervisor's round failed; the next one tries again", {
        operation: "chaos.supervise",
        err: error,
      });
    }
  });
};
const timer = setInterval(supervise, settings.CHAOS_SUPERVISE_MS);
supervise();
process.stdout.write(`executor ${owner} pid ${process.pid} supervising\n`);

process.once("SIGTERM", () => {
  clearInterval(timer);
  void engine
    .drain(config.engine.drainGrace)
    .catch((error: unknown) => log.error("drain failed", { operation: "chaos.drain", err: error }))
    .finally(() => process.exit(0));
});
