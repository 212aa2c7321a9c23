import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { abortableDelay, defineStepKind } from "../../src/engine/step-kind.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { uniqueId } from "../support/run-fixtures.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Fencing while the process lives: an executor cut off from Redis (a TCP proxy the test controls,
 * blackholed: connections stay open and nothing moves, as across a broken network path) stops its
 * step before its lease can lapse in Redis, so the executor that takes the run over never runs a
 * step at the same time. Both executors are engines in this process, each with its own Redis
 * connection (one through the proxy) to a real redis-server; the step's start and end are recorded
 * here, outside Redis, by the monotonic clock.
 */
const LEASE_TTL_MS = 3_000;
let redis: RedisServer;
let proxy: TcpProxy;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy({ port: Number(new URL(redis.url).port) });
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await proxy?.stop();
  await redis?.stop();
});

function store(port: number, prefix: string): RedisRunStore {
  const client = new Redis({ host: "127.0.0.1", port, commandTimeout: 1_000, maxRetriesPerRequest: null });
  client.on("error", () => undefined);
  clients.push(client);
  return new RedisRunStore(client, prefix);
}

interface Interval {
  owner: string;
  start: number;
  end?: number;
  stopped?: boolean;
}

/** A repeatable step that notes when it runs, per executor; `holdMs` keeps it busy until stopped. */
function intervalKind(owner: string, intervals: Interval[], holdMs: number) {
  return defineStepKind({
    kind: "test.interval",
    description: "Notes when it runs, outside Redis.",
    params: z.object({}).strict(),
    siteParams: [],
    idempotent: true,
    summarize: () => "an interval",
    async execute(ctx) {
      const interval: Interval = { owner, start: performance.now() };
      intervals.push(interval);
      try {
        await abortableDelay(holdMs, ctx.signal);
        return { status: "succeeded", output: `${owner} ran it` };
      } catch (error) {
        interval.stopped = true;
        throw error;
      } finally {
        interval.end = performance.now();
      }
    },
  });
}

describe("an executor partitioned from Redis", () => {
  it("stops its step before its lease can lapse, and the next owner runs it only after, never at the same time", async () => {
    const prefix = `${uniqueId("fencing")}:`;
    const intervals: Interval[] = [];
    const ledger = new Ledger();
    const cutOff = engineHarness({
      store: store(proxy.port, prefix),
      ownerId: "cut-off",
      leaseTtlMs: LEASE_TTL_MS,
      ledger,
      extraKinds: [intervalKind("cut-off", intervals, 60_000)],
    });
    const successor = engineHarness({
      store: store(Number(new URL(redis.url).port), prefix),
      ownerId: "successor",
      leaseTtlMs: LEASE_TTL_MS,
      ledger,
      extraKinds: [intervalKind("successor", intervals, 0)],
    });
    const run = await successor.createApprovedRun([
      { id: "hold", title: "Hold", kind: "test.interval", with: {} },
      effect("after", { needs: ["hold"] }),
    ]);
    const driving = cutOff.engine.drive(run.id);
    await waitFor(() => intervals.length === 1, { timeoutMs: 10_000, description: "the step to start" });

    proxy.blackhole();
    expect(await driving).toEqual({ driven: false, reason: "lost_lease" });
    expect(intervals[0]).toMatchObject({ owner: "cut-off", stopped: true });
    expect(cutOff.log.lines.some((l) => l.context.operation === "engine.lease-expired")).toBe(true);

    await waitFor(async () => (await successor.engine.drive(run.id)).driven, {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: "the successor to take the run over once the lease lapsed",
    });
    expect((await successor.store.getRun(run.id))?.state).toBe("completed");
    const [first, second] = intervals;
    expect(second).toMatchObject({ owner: "successor" });
    expect(first!.end!).toBeLessThan(second!.start);
    expect(ledger.entries).toEqual(["after"]);

    // The path heals: whatever the cut-off executor had sent is delivered now, fenced by its token.
    proxy.restore();
    await waitFor(async () => (await cutOff.store.kvGet("healed").catch(() => "no")) === undefined, {
      timeoutMs: 10_000,
      description: "the cut-off executor's connection to answer again",
    });
    expect((await successor.store.getRun(run.id))?.state).toBe("completed");
    expect(intervals).toHaveLength(2);
  });
});
