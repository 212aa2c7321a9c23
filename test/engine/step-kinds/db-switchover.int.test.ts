import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresReplication } from "../../../src/adapters/postgres/postgres-replication.js";
import type { Config } from "../../../src/domain/config.js";
import { configSchema } from "../../../src/domain/config.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { dbCatchUpStep } from "../../../src/engine/step-kinds/db-catch-up.js";
import { dbPromoteStep } from "../../../src/engine/step-kinds/db-promote.js";
import { dbReadOnlyStep } from "../../../src/engine/step-kinds/db-read-only.js";
import { dbRejoinStep } from "../../../src/engine/step-kinds/db-rejoin.js";
import { testConfig } from "../../support/config-fixture.js";
import {
  acceptsWrites,
  missingRows,
  sampleWritability,
  startWriter,
  type WritabilitySampler,
} from "../../support/postgres-load.js";
import { type PostgresPair, startPostgresPair } from "../../support/postgres-pair.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The database steps of a planned switchover and of a failback, one after another on a real
 * PostgreSQL pair (dc1's server the primary, dc2's its streaming replica), with the application
 * writing and a sampler asking both servers all along whether they take writes: stopping the writes
 * on dc1, waiting until dc2 has replayed every byte, promoting dc2, rejoining dc1 as dc2's replica
 * with pg_rewind through the shipped hook, and back; then a rejoin that pg_rewind cannot do and
 * pg_basebackup does.
 */
let pair: PostgresPair;
let replication: PostgresReplication;
let config: Config;
let sampler: WritabilitySampler;

beforeAll(async () => {
  pair = await startPostgresPair();
  replication = new PostgresReplication({
    PATH: process.env.PATH,
    PG_TEST_PASSWORD: pair.drbotPassword,
    PG_TEST_SUPER_PASSWORD: pair.superPassword,
  });
  const base = testConfig();
  config = configSchema.parse({
    ...structuredClone(base),
    dataSources: [
      {
        ...pair.source(),
        primary: {
          ...(pair.source().primary as object),
          applicationName: "dc1",
          rejoin: pair.rejoinHook("primary"),
        },
        replica: { ...(pair.source().replica as object), rejoin: pair.rejoinHook("replica") },
      },
    ],
    applications: base.applications.map((a) => ({ ...a, dataSources: ["pg"] })),
  });
  sampler = sampleWritability(pair);
}, 120_000);
afterAll(async () => {
  await sampler?.stop();
  await pair?.stop();
});

/** A step context with a deadline of `timeoutMs`. */
function ctx(lines: string[] = [], timeoutMs = 60_000): StepContext {
  return {
    ...stepContext(config, { services: { replication }, lines }),
    signal: AbortSignal.timeout(timeoutMs),
    deadline: Date.now() + timeoutMs,
  };
}

async function count(server: "primary" | "replica"): Promise<number> {
  const [row] = await pair.sql<{ n: number }>(server, "SELECT count(*)::int AS n FROM load");
  return row!.n;
}

describe("a planned switchover from dc1 to dc2, then a failback, on a real PostgreSQL pair", () => {
  it("stops the writes on dc1: a write transaction begun before cannot commit, and a new session cannot write", async () => {
    const open = new (await import("pg")).default.Client({
      host: "127.0.0.1",
      port: pair.primary.port,
      user: "app",
      password: pair.appPassword,
      database: "postgres",
    });
    open.on("error", () => undefined);
    await open.connect();
    await open.query("BEGIN");
    await open.query("INSERT INTO load (payload) VALUES ('begun before the fence')");

    const lines: string[] = [];
    const result = await dbReadOnlyStep.execute(ctx(lines), {
      source: "*",
      site: "dc1",
      whenUnreachable: "fail",
    });

    expect(result).toMatchObject({ status: "succeeded", outcome: "confirmed" });
    expect(lines.join("\n")).toMatch(/ended pid \d+ app@postgres/);
    await expect(open.query("COMMIT")).rejects.toThrow();
    await open.end().catch(() => undefined);
    expect(await acceptsWrites(pair, "primary")).toBe(false);
    const [row] = await pair.sql<{ n: number }>(
      "primary",
      "SELECT count(*)::int AS n FROM load WHERE payload = 'begun before the fence'",
    );
    expect(row!.n).toBe(0);
    const observed = await dbReadOnlyStep.observe!(ctx(), {
      source: "*",
      site: "dc1",
      whenUnreachable: "fail",
    });
    expect(observed).toMatchObject({ holds: true });
  });

  it("waits for dc2 to replay everything dc1 wrote, fails at its deadline while replay is paused, then passes at 0 bytes", async () => {
    await pair.sql("primary", "ALTER SYSTEM RESET default_transaction_read_only");
    await pair.sql("primary", "SELECT pg_reload_conf()");
    await waitFor(() => acceptsWrites(pair, "primary"), { description: "dc1 to take writes again" });
    await pair.sql("replica", "SELECT pg_wal_replay_pause()");
    const writer = startWriter(pair, () => "primary");
    await waitFor(() => writer.accepted.length >= 20, {
      timeoutMs: 20_000,
      description: "20 accepted writes",
    });
    await dbReadOnlyStep.execute(ctx(), { source: "*", site: "dc1", whenUnreachable: "fail" });
    await writer.stop();

    const behind = await dbCatchUpStep.execute(ctx([], 2_000), { source: "*", site: "dc2", maxBytes: 0 });
    expect(behind).toMatchObject({ status: "failed" });
    expect(behind.status === "failed" && behind.error).toMatch(/pg: not caught up .* \d+ bytes behind/);

    await pair.sql("replica", "SELECT pg_wal_replay_resume()");
    const lines: string[] = [];
    const caughtUp = await dbCatchUpStep.execute(ctx(lines), { source: "*", site: "dc2", maxBytes: 0 });
    expect(caughtUp).toMatchObject({ status: "succeeded" });
    expect(caughtUp.status === "succeeded" && caughtUp.output).toMatch(/has replayed up to .*, everything/);
    expect(await missingRows(pair, "replica", writer.accepted)).toEqual([]);
  });

  it("promotes dc2, which takes writes, while dc1 stays read-only", async () => {
    const result = await dbPromoteStep.execute(ctx(), { source: "*", site: "dc2" });

    expect(result).toMatchObject({ status: "succeeded" });
    expect(await acceptsWrites(pair, "replica")).toBe(true);
    expect(await acceptsWrites(pair, "primary")).toBe(false);
    expect(await dbPromoteStep.observe!(ctx(), { source: "*", site: "dc2" })).toMatchObject({ holds: true });
  });

  it("rejoins dc1 as dc2's replica with pg_rewind, and what dc2 took meanwhile reaches dc1", async () => {
    const writer = startWriter(pair, () => "replica", "during the outage");
    await waitFor(() => writer.accepted.length >= 20, { timeoutMs: 20_000, description: "writes on dc2" });

    const lines: string[] = [];
    const result = await dbRejoinStep.execute(ctx(lines, 120_000), { source: "*", site: "dc1" });
    await waitFor(() => writer.accepted.length >= 40, {
      timeoutMs: 20_000,
      description: "more writes on dc2",
    });
    await writer.stop();

    expect(result).toMatchObject({ status: "succeeded" });
    expect(lines.join("\n")).toMatch(/pg_rewind: Done!/);
    expect(result.status === "succeeded" && result.output).toMatch(
      /streams from 127\.0\.0\.1:\d+ \(rejoined: pg_rewind\)/,
    );
    const again = await dbRejoinStep.execute(ctx(), { source: "*", site: "dc1" });
    expect(again.status === "succeeded" && again.output).toMatch(/already streams from/);
    await dbCatchUpStep.execute(ctx(), { source: "*", site: "dc1", maxBytes: 0 });
    expect(await missingRows(pair, "primary", writer.accepted)).toEqual([]);
  });

  it("switches back under load without losing a write: dc2 read-only, dc1 caught up and promoted, dc2 rejoined as its replica", async () => {
    let target: "primary" | "replica" = "replica";
    const writer = startWriter(pair, () => target, "failback");
    await waitFor(() => writer.accepted.length >= 10, { timeoutMs: 20_000, description: "writes on dc2" });

    expect(
      await dbReadOnlyStep.execute(ctx(), { source: "*", site: "dc2", whenUnreachable: "fail" }),
    ).toMatchObject({ status: "succeeded" });
    expect(await dbCatchUpStep.execute(ctx(), { source: "*", site: "dc1", maxBytes: 0 })).toMatchObject({
      status: "succeeded",
    });
    expect(await dbPromoteStep.execute(ctx(), { source: "*", site: "dc1" })).toMatchObject({
      status: "succeeded",
    });
    target = "primary";
    await waitFor(() => writer.accepted.length >= 30, { timeoutMs: 20_000, description: "writes on dc1" });
    const rejoined = await dbRejoinStep.execute(ctx([], 120_000), { source: "*", site: "dc2" });
    await writer.stop();

    expect(rejoined).toMatchObject({ status: "succeeded" });
    expect(await missingRows(pair, "primary", writer.accepted)).toEqual([]);
    await dbCatchUpStep.execute(ctx(), { source: "*", site: "dc2", maxBytes: 0 });
    expect(await missingRows(pair, "replica", writer.accepted)).toEqual([]);
  });

  it("never let both servers take writes at any sampled moment", async () => {
    await sampler.stop();
    expect(sampler.samples.length).toBeGreaterThan(20);
    expect(sampler.samples.some((s) => s.primary)).toBe(true);
    expect(sampler.samples.some((s) => s.replica)).toBe(true);
    expect(sampler.bothWritable()).toEqual([]);
  });
  it("re-seeds a server with pg_basebackup when pg_rewind cannot rewind it", async () => {
    // dc2 (a replica of dc1 again) is promoted behind drbot's back (the sampler has stopped) and
    // writes on; then its WAL from before the fork, which pg_rewind needs, is removed.
    await pair.sql("replica", "SELECT pg_promote()");
    await waitFor(() => acceptsWrites(pair, "replica"), { description: "dc2 to take writes" });
    for (const n of [1, 2, 3]) {
      await pair.sql("replica", "INSERT INTO load (payload) VALUES ($1)", [`diverged on dc2 ${n}`]);
      await pair.sql("replica", "SELECT pg_switch_wal()");
    }
    await pair.sql("replica", "CHECKPOINT");
    await pair.replica.stop();
    await pair.removeOldWal("replica");
    const before = await count("primary");

    const lines: string[] = [];
    const result = await dbRejoinStep.execute(ctx(lines, 120_000), { source: "*", site: "dc2" });

    expect(result).toMatchObject({ status: "succeeded" });
    expect(lines.join("\n")).toMatch(/pg_rewind could not rewind .* re-seeding with pg_basebackup/);
    expect(result.status === "succeeded" && result.output).toMatch(/rejoined: pg_basebackup/);
    await dbCatchUpStep.execute(ctx(), { source: "*", site: "dc2", maxBytes: 0 });
    expect(await count("replica")).toBe(before);
  });
});
