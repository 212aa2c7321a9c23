import { describe, expect, it } from "vitest";
import { measureRun, STRATEGY_RTO_BUDGETS, strictestBudgets } from "../../src/domain/rto-budgets.js";
import { initialStepRecords, type StepRecord } from "../../src/domain/run.js";
import { strictestTargets } from "../../src/domain/scope.js";
import { testConfig } from "../support/config-fixture.js";
import { plannedRun } from "../support/planned-run.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-25T09:00:00Z");

const STEPS = [
  {
    id: "pre-test",
    title: "Pre-test checklist",
    kind: "checklist",
    with: { items: ["Stakeholders notified"] },
  },
  {
    id: "scale-up",
    title: "Scale up",
    kind: "k8s.scale",
    with: { site: "dc2", namespace: "production", name: "payments-api", replicas: 3 },
  },
];

function records(
  run: ReturnType<typeof plannedRun>,
  status: Record<string, Partial<StepRecord>>,
): Map<string, StepRecord> {
  return new Map(initialStepRecords(run.plan).map((s) => [s.id, { ...s, ...status[s.id] }]));
}

describe("RTO budgets per phase", () => {
  it("default to the strategy's breakdown: detection 15, decision 30, activation 90, validation 45 minutes", () => {
    const config = testConfig();
    expect(config.tiers[0]!.budgets).toEqual({
      detection: 15 * MIN,
      decision: 30 * MIN,
      activation: 90 * MIN,
      validation: 45 * MIN,
    });
    expect(STRATEGY_RTO_BUDGETS).toEqual(config.tiers[0]!.budgets);
  });

  it("of a run over several tiers are the strictest of each phase", () => {
    const config = testConfig({
      tiers: [
        { name: "tier1", rto: "2h", rpo: "15m", budgets: { detection: "5m", activation: "60m" } },
        { name: "tier3", rto: "8h", rpo: "4h", budgets: { decision: "10m" } },
      ],
    });
    expect(strictestBudgets(config.tiers)).toEqual({
      detection: 5 * MIN,
      decision: 10 * MIN,
      activation: 60 * MIN,
      validation: 45 * MIN,
    });
    const scope = { applications: ["payments"], tiers: ["tier1", "tier3"], fromSite: "dc1", toSite: "dc2" };
    expect(strictestTargets(config, scope).budgets).toEqual(strictestBudgets(config.tiers));
  });

  it("compare each phase with its budget and name the ones that overran", () => {
    const run = plannedRun(STEPS, {
      rto: {
        detectedAt: T0 - 20 * MIN,
        requestedAt: T0,
        approvedAt: T0 + 10 * MIN,
        activationStartedAt: T0 + 10 * MIN,
      },
    });
    const steps = records(run, {
      "pre-test": { status: "succeeded", startedAt: T0 + 10 * MIN, endedAt: T0 + 10 * MIN },
      "scale-up": { status: "running", startedAt: T0 + 10 * MIN },
    });
    const timing = measureRun(run, steps, T0 + 110 * MIN);
    expect(timing.phases).toEqual([
      { phase: "detection", ms: 20 * MIN, budgetMs: 15 * MIN, over: true },
      { phase: "decision", ms: 10 * MIN, budgetMs: 30 * MIN, over: false },
      { phase: "activation", ms: 100 * MIN, budgetMs: 90 * MIN, over: true },
      { phase: "validation", ms: undefined, budgetMs: 45 * MIN, over: false },
    ]);
    expect(timing.overruns.map((p) => p.phase)).toEqual(["detection", "activation"]);
  });

  it("count a drill's wait for its checklist apart from activation, so a slow tick is not a slow failover", () => {
    const run = plannedRun(STEPS, {
      kind: "drill",
      mode: "drill",
      rto: { requestedAt: T0, approvedAt: T0 + 5 * MIN, activationStartedAt: T0 + 5 * MIN },
      tierRtoBudgets: { ...STRATEGY_RTO_BUDGETS, activation: 30 * MIN },
    });
    // The checklist waited 40 minutes for a person; the machine's part took 10.
    const steps = records(run, {
      "pre-test": { status: "succeeded", startedAt: T0 + 5 * MIN, endedAt: T0 + 45 * MIN },
      "scale-up": { status: "succeeded", startedAt: T0 + 45 * MIN, endedAt: T0 + 55 * MIN },
    });
    const timing = measureRun(run, steps, T0 + 55 * MIN);
    expect(timing.waitingMs).toBe(40 * MIN);
    expect(timing.activationMs).toBe(10 * MIN);
    expect(timing.overruns).toEqual([]);
    // The wall clock still counts it: the total is what people waited.
    expect(timing.totalMs).toBe(55 * MIN);
  });

  it("count a wait still under way until now, and none before activation starts", () => {
    const run = plannedRun(STEPS, { rto: { requestedAt: T0, approvedAt: T0 + 5 * MIN } });
    const waiting = records(run, { "pre-test": { status: "waiting", startedAt: T0 + 5 * MIN } });
    expect(measureRun(run, waiting, T0 + 20 * MIN).waitingMs).toBe(0);
    const started = { ...run, rto: { ...run.rto, activationStartedAt: T0 + 5 * MIN } };
    expect(measureRun(started, waiting, T0 + 20 * MIN).waitingMs).toBe(15 * MIN);
  });
});
