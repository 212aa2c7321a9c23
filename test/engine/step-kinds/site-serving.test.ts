import { describe, expect, it } from "vitest";
import { MemorySiteState } from "../../../src/adapters/memory/memory-site-state.js";
import type { ServingMove } from "../../../src/domain/site-state.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { siteServingStep } from "../../../src/engine/step-kinds/site-serving.js";
import { testConfig } from "../../support/config-fixture.js";
import { stepContext } from "../../support/step-context.js";

const config = testConfig();
const NOW = 1_780_000_000_000;

function context(siteState: MemorySiteState, overrides: Partial<StepContext> = {}): StepContext {
  const base = stepContext(config, { services: { siteState }, applications: ["payments", "core-api"] });
  return { ...base, clock: { now: () => NOW }, ...overrides };
}

const params = (site: string, applications = ["payments", "core-api"]) =>
  siteServingStep.params.parse({ site, applications });

const earlierMove = (application: string, overrides: Partial<ServingMove> = {}): ServingMove => ({
  application,
  from: "dc1",
  to: "dc2",
  at: NOW - 3_600_000,
  runId: "failover-earlier",
  by: "U0OTHER",
  kind: "failover",
  ...overrides,
});

describe("the site.serving step", () => {
  it("records the run's applications as served from its target, with the run, its requester and the time", async () => {
    const store = new MemorySiteState();
    const result = await siteServingStep.execute(context(store), params("dc2"));
    expect(result).toEqual({
      status: "succeeded",
      output: `payments, core-api served from dc2 since ${new Date(NOW).toISOString()} (was dc1)`,
    });
    expect(await store.history()).toEqual(
      ["core-api", "payments"].map((application) => ({
        application,
        from: "dc1",
        to: "dc2",
        at: NOW,
        runId: "failover-test",
        by: "U0ONCALL",
        kind: "failover",
      })),
    );
  });

  it("records nothing the second time and says the applications are already there", async () => {
    const store = new MemorySiteState();
    await siteServingStep.execute(context(store), params("dc2"));
    const again = await siteServingStep.execute(context(store), params("dc2"));
    expect(again.status).toBe("succeeded");
    expect(again.output).toContain("already served from dc2: payments is served from dc2 since");
    expect((await store.history()).length).toBe(2);
  });

  it("moves only the applications not yet at the target, keeping the others' record", async () => {
    const store = new MemorySiteState();
    await store.record([earlierMove("core-api")], { "core-api": null });
    const result = await siteServingStep.execute(context(store), params("dc2"));
    expect(result.output).toContain("payments served from dc2");
    expect(result.output).toContain("already served from dc2: core-api is served from dc2 since");
    expect((await store.history({ application: "core-api" }))[0]!.runId).toBe("failover-earlier");
  });

  it("observes whether the applications are already recorded at the target, for a run taken over", async () => {
    const store = new MemorySiteState();
    expect(await siteServingStep.observe!(context(store), params("dc2"))).toEqual({
      holds: false,
      evidence: "payments is served from dc1 (its home); core-api is served from dc1 (its home)",
    });
    await siteServingStep.execute(context(store), params("dc2"));
    expect(await siteServingStep.observe!(context(store), params("dc2"))).toEqual({
      holds: true,
      evidence: "payments, core-api already recorded as served from dc2",
    });
  });

  it("fails, recording nothing, when an application is served from neither end of the run", async () => {
    const store = new MemorySiteState();
    const odd = earlierMove("payments", { to: "dc3", runId: "failover-odd" });
    await store.record([odd], { payments: null });
    const result = await siteServingStep.execute(context(store), params("dc2"));
    expect(result).toEqual({
      status: "failed",
      error: `payments is served from dc3 since ${new Date(odd.at).toISOString()} (failover-odd): neither dc1 nor dc2, the sites of this run; nothing recorded`,
    });
    expect(await store.history()).toEqual([odd]);
  });

  it("moves the record back to the run's source as the undo of an aborted run", async () => {
    const store = new MemorySiteState();
    await siteServingStep.execute(context(store), params("dc2"));
    const undone = await siteServingStep.execute(context(store), params("dc1"));
    expect(undone.output).toContain("payments, core-api served from dc1");
    expect((await store.current()).map((m) => m.to)).toEqual(["dc1", "dc1"]);
  });

  it("records nothing in a drill: a drill moves no traffic", async () => {
    const store = new MemorySiteState();
    const base = context(store);
    const result = await siteServingStep.execute(
      { ...base, mode: "drill", run: { ...base.run, mode: "drill" } },
      params("dc2"),
    );
    expect(result).toEqual({
      status: "succeeded",
      output: "drill: nothing recorded; a real run would record payments, core-api as served from dc2",
    });
    expect(await store.current()).toEqual([]);
  });

  it("says the process has no store when none is configured, and the run pauses", async () => {
    await expect(
      siteServingStep.execute(
        stepContext(config, { applications: ["payments"] }),
        params("dc2", ["payments"]),
      ),
    ).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("no store for which site"),
    });
  });

  it("refuses an application the configuration does not know when the plan is built", () => {
    expect(
      siteServingStep.checkConfig!(params("dc2", ["payments", "ledger"]), config, stepContext(config).scope),
    ).toEqual([{ path: ["with", "applications"], message: 'unknown application "ledger"' }]);
  });
});
