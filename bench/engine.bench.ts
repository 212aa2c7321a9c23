import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { z } from "zod";
import { RedisRunStore } from "../src/adapters/redis/redis-run-store.js";
import { configSchema } from "../src/domain/config.js";
import { buildPlan } from "../src/domain/plan.js";
import { initialStepRecords } from "../src/domain/run.js";
import { runbookSchema } from "../src/domain/runbook.js";
import { resolveScope } from "../src/domain/scope.js";
import { RunEngine } from "../src/engine/run-engine.js";
import { defineStepKind } from "../src/engine/step-kind.js";
import { createStepKindRegistry } from "../src/engine/step-kinds/registry.js";
import { silentLogger } from "../src/ports/logger.js";
import { startRedisServer } from "../test/support/redis-server.js";
import { approvedRun, type BenchResult, percentile } from "./bench-kit.js";

/**
 * Engine overhead: a run of 1,000 no-op steps, executed against a real redis-server on loopback.
 * The per-step time is what the engine adds around a step that does nothing: persisting `running`,
 * calling the kind, persisting the result, deciding what is next. Redis round trips are the commands
 * the client sends (a Lua script is one round trip however much it does inside Redis).
 */
const STEPS = 1_000;

const noop = defineStepKind({
  kind: "bench.noop",
  description: "Does nothing.",
  params: z.object({}).strict(),
  siteParams: [],
  idempotent: true,
  summarize: () => "nothing",
  execute: async () => ({ status: "succeeded" }),
});

/** Counts the commands this client sends: each is one round trip (scripts run inside Redis). */
function countCommands(client: Redis): () => number {
  let sent = 0;
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
    sent++;
    return original(...args);
  }) as Redis["sendCommand"];
  return () => sent;
}

export async function run(): Promise<BenchResult> {
  const server = await startRedisServer();
  const client = new Redis(server.url, { commandTimeout: 2_000, lazyConnect: true });
  await client.connect();
  const sent = countCommands(client);
  try {
    const store = new RedisRunStore(client, "bench:");
    const config = configSchema.parse({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { context: "a" } },
        { name: "dc2", role: "dr", kubeconfig: { context: "b" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "app", tier: "tier1", namespaces: ["prod"] }],
    });
    const registry = createStepKindRegistry(noop);
    const runbook = runbookSchema.parse({
      name: "bench",
      title: "Bench",
      kind: "failover",
      phases: [
        {
          name: "main",
          steps: Array.from({ length: STEPS }, (_, i) => ({
            id: `s${i}`,
            title: `Step ${i}`,
            kind: "bench.noop",
          })),
        },
      ],
    });
    const scope = resolveScope(config, ["app"], "failover");
    const plan = buildPlan({ runbook, config, scope, mode: "real", catalog: registry });
    const now = Date.now();
    const record = approvedRun({ id: "bench-run", runbook: "bench", scope, plan, now });
    await store.createRun(record, initialStepRecords(plan), {
      type: "run.requested",
      at: now,
      actor: "bench",
      runId: record.id,
      data: {},
    });

    const finished: number[] = [];
    let transitions = 0;
    const engine = new RunEngine({
      store,
      registry,
      config,
      clock: { now: () => Date.now() },
      services: { commands: { run: async () => Promise.reject(new Error("none")) }, secrets: [] },
      ownerId: "bench",
      leaseTtlMs: 15_000,
      maxParallelSteps: 16,
      scopeTtlMs: 60_000,
      log: silentLogger,
      observer: {
        onRunEvent(event) {
          transitions++;
          if (event.type === "step.state" && event.data.status === "succeeded")
            finished.push(performance.now());
        },
      },
    });
    const before = sent();
    const started = performance.now();
    const outcome = await engine.drive(record.id);
    const elapsed = performance.now() - started;
    const after = sent();
    if (!outcome.driven || outcome.state !== "completed")
      throw new Error(`bench run ended ${JSON.stringify(outcome)}`);
    const perStep = finished.slice(1).map((t, i) => t - finished[i]!);
    return {
      name: "engine",
      figures: [
        { name: "steps", value: STEPS, unit: "steps" },
        {
          name: "per-step engine overhead p50",
          value: percentile(perStep, 50),
          unit: "ms",
          target: { op: "<", value: 2 },
        },
        { name: "per-step engine overhead p99", value: percentile(perStep, 99), unit: "ms" },
        { name: "whole run", value: elapsed, unit: "ms" },
        { name: "persisted transitions", value: transitions, unit: "transitions" },
        {
          name: "Redis round trips per transition",
          value: (after - before) / transitions,
          unit: "round trips",
        },
      ],
      notes: [
        "sequential run: each step waits for the previous one, so every step pays a full persist-execute-persist cycle",
      ],
    };
  } finally {
    client.disconnect();
    await server.stop();
  }
}
