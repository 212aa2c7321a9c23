import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { PostgresReplication } from "../../../src/adapters/postgres/postgres-replication.js";
import type { Config } from "../../../src/domain/config.js";
import { dbPromoteStep } from "../../../src/engine/step-kinds/db-promote.js";
import type { DatabaseReplication } from "../../../src/ports/database-replication.js";
import { testConfig } from "../../support/config-fixture.js";
import { createStrandedRun, engineHarness } from "../../support/engine-harness.js";
import { type PostgresPair, startPostgresPair } from "../../support/postgres-pair.js";
import { stepContext } from "../../support/step-context.js";

/**
 * db.promote's observe() against two real PostgreSQL servers in streaming replication: "not yet"
 * while the replica is in recovery, "holds" once the step has promoted it, and after a takeover the
 * engine trusts that observation instead of promoting again. Promotion ends the replication, so
 * every test starts its own pair.
 */
let pair: PostgresPair;
let replication: CountingReplication;
let config: Config;

beforeEach(async () => {
  pair = await startPostgresPair();
  replication = new CountingReplication(new PostgresReplication({ PG_TEST_PASSWORD: pair.drbotPassword }));
  config = testConfig({
    dataSources: [pair.source(), { name: "velero", kind: "velero", site: "dc1", schedule: "daily" }],
  });
}, 120_000);
afterEach(async () => {
  await pair?.stop();
});

/** The real adapter, counting the promotions asked of it. */
class CountingReplication implements DatabaseReplication {
  promotions = 0;
  constructor(private readonly real: DatabaseReplication) {}
  readLag: DatabaseReplication["readLag"] = (source, options) => this.real.readLag(source, options);
  replicaInRecovery: DatabaseReplication["replicaInRecovery"] = (source, options) =>
    this.real.replicaInRecovery(source, options);
  readServer: DatabaseReplication["readServer"] = (source, server, options) =>
    this.real.readServer(source, server, options);
  stopWrites: DatabaseReplication["stopWrites"] = (source, server, options) =>
    this.real.stopWrites(source, server, options);
  resumeWrites: DatabaseReplication["resumeWrites"] = (source, server, options) =>
    this.real.resumeWrites(source, server, options);
  rejoin: DatabaseReplication["rejoin"] = (source, server, options) =>
    this.real.rejoin(source, server, options);
  promote: DatabaseReplication["promote"] = (source, options) => {
    this.promotions++;
    return this.real.promote(source, options);
  };
}

async function replicaInRecovery(): Promise<boolean> {
  const [row] = await pair.sql<{ in_recovery: boolean }>(
    "replica",
    "SELECT pg_is_in_recovery() AS in_recovery",
  );
  return row?.in_recovery === true;
}

const promoteStep = {
  id: "promote-database",
  title: "Promote the PostgreSQL replicas",
  kind: "db.promote",
  with: { source: "*" },
};

/** An engine on the real pair, and a run whose db.promote step a dead owner left `running`. */
async function strandedPromotion() {
  const h = engineHarness({
    store: new MemoryRunStore({ now: () => Date.now() }),
    config,
    services: { replication },
  });
  return { h, run: await createStrandedRun(h, [promoteStep], [promoteStep.id]) };
}

describe("db.promote on a real PostgreSQL pair", () => {
  it("observes 'not yet' while the replica is in recovery, promotes it, then observes that it holds", async () => {
    const ctx = () => stepContext(config, { services: { replication } });

    expect(await dbPromoteStep.observe!(ctx(), { source: "*" })).toEqual({
      holds: false,
      evidence: "still in recovery: pg",
    });
    expect(await replicaInRecovery()).toBe(true);

    const lines: string[] = [];
    const result = await dbPromoteStep.execute(stepContext(config, { services: { replication }, lines }), {
      source: "*",
    });

    expect(result).toEqual({ status: "succeeded", output: "promoted: pg" });
    expect(lines).toContain("pg: promoted: the server has left recovery and takes writes");
    expect(replication.promotions).toBe(1);
    expect(await replicaInRecovery()).toBe(false);
    expect(await dbPromoteStep.observe!(ctx(), { source: "pg" })).toEqual({
      holds: true,
      evidence: "out of recovery (promoted): pg",
    });
    // The promoted replica takes writes of its own.
    await pair.sql("replica", "INSERT INTO load (payload) VALUES ('written on the promoted replica')");
  });

  it("after a takeover that finds the replica promoted, is marked observed without promoting again", async () => {
    // The dead owner promoted the replica and died before recording that the step succeeded.
    await dbPromoteStep.execute(stepContext(config, { services: { replication } }), { source: "*" });
    expect(await replicaInRecovery()).toBe(false);
    replication.promotions = 0;
    const { h, run } = await strandedPromotion();

    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });

    expect(replication.promotions).toBe(0);
    expect((await h.store.getSteps(run.id)).get(promoteStep.id)).toMatchObject({
      status: "succeeded",
      resolvedBy: "observed",
      attempts: 1,
      output: "observed after takeover: out of recovery (promoted): pg",
    });
    const events = await h.store.readEvents(run.id);
    expect(events.find((e) => e.type === "step.observed")).toMatchObject({
      stepId: promoteStep.id,
      data: { holds: true, evidence: "out of recovery (promoted): pg" },
    });
    expect(events.some((e) => e.type === "run.takeover")).toBe(true);
  });

  it("after a takeover that finds the replica still in recovery, runs the step again and promotes it once", async () => {
    const { h, run } = await strandedPromotion();

    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });

    expect(replication.promotions).toBe(1);
    expect(await replicaInRecovery()).toBe(false);
    const step = (await h.store.getSteps(run.id)).get(promoteStep.id);
    expect(step).toMatchObject({ status: "succeeded", resolvedBy: "executed", attempts: 2 });
    expect(step?.output).toContain("promoted: pg");
    expect((await h.store.readEvents(run.id)).find((e) => e.type === "step.observed")).toMatchObject({
      data: { holds: false, evidence: "still in recovery: pg" },
    });
  });
});
