import { describe, expect, it } from "vitest";
import { dbLagGateStep } from "../../../src/engine/step-kinds/db-lag-gate.js";
import { dbPromoteStep } from "../../../src/engine/step-kinds/db-promote.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig } from "../../support/config-fixture.js";
import { stepContext } from "../../support/step-context.js";

/**
 * The database steps' own rules, before any database is involved (the real servers are in
 * test/adapters/postgres and db-promote.int.test.ts): which sources they act on, and what they need
 * from the process.
 */
const withDatabase = testConfig();

describe("db.promote and db.lag-gate", () => {
  it("succeed without touching any database when no PostgreSQL source protects the run's applications", async () => {
    // core-api has no data source at all.
    const ctx = stepContext(withDatabase, { applications: ["core-api"] });
    expect(await dbPromoteStep.execute(ctx, { source: "*" })).toMatchObject({
      status: "succeeded",
      output: "no PostgreSQL data source protects the run's applications",
    });
    expect(await dbPromoteStep.observe!(ctx, { source: "*" })).toMatchObject({ holds: true });
    expect(await dbLagGateStep.execute(ctx, { source: "*" })).toMatchObject({ status: "succeeded" });
  });

  it('take only the PostgreSQL sources of the run\'s applications for "*"', async () => {
    // analytics is protected by Velero only.
    const ctx = stepContext(withDatabase, { applications: ["analytics"] });
    expect(await dbPromoteStep.execute(ctx, { source: "*" })).toMatchObject({ status: "succeeded" });
  });

  it("refuse a source name that is not a configured PostgreSQL source, naming the ones there are", async () => {
    const ctx = stepContext(withDatabase);
    await expect(dbPromoteStep.execute(ctx, { source: "velero" })).rejects.toThrow(
      'no PostgreSQL data source named "velero"; configured: pg',
    );
  });

  it("say plainly when the process has no PostgreSQL adapter", async () => {
    const ctx = stepContext(withDatabase);
    await expect(dbLagGateStep.execute(ctx, { source: "pg" })).rejects.toThrow(
      "this drbot process has no PostgreSQL adapter configured",
    );
  });

  it("replace the declared kinds, keeping runbook parameters { source } and { source, max } valid", () => {
    const registry = createStepKindRegistry();
    expect(registry.get("db.promote")).toBe(dbPromoteStep);
    expect(registry.get("db.lag-gate")).toBe(dbLagGateStep);
    expect(registry.describe("db.promote")!.parse({ source: "pg" })).toMatchObject({ ok: true });
    expect(registry.describe("db.lag-gate")!.parse({ source: "pg", max: "30s" })).toMatchObject({
      ok: true,
      value: { source: "pg", max: 30_000 },
    });
    expect(registry.describe("db.promote")!.parse({ source: "Bad Name" })).toMatchObject({ ok: false });
    expect(registry.describe("db.lag-gate")!.summarize({ source: "pg" })).toBe(
      "replication lag of pg at most its alert threshold",
    );
  });
});
