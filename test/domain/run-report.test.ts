import { describe, expect, it } from "vitest";
import { buildRunReport } from "../../src/domain/run-report.js";
import { finishedDrill } from "../support/report-fixtures.js";
import { stepRecord } from "../support/run-fixtures.js";

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const S = 1_000;

describe("a run's report", () => {
  const { run, records, events, diffs } = finishedDrill();
  const report = buildRunReport({ run, steps: records, events, diffs, now: T0 + 200 * S });

  it("gives each step its duration, attempts and output, in plan order", () => {
    expect(report.steps.map((s) => [s.id, s.durationMs, s.attempts])).toEqual([
      ["pre-test-checklist", 8 * S, 1],
      ["isolate", 1 * S, 1],
      ["scale-up", 29 * S, 2],
      ["diff", 1 * S, 1],
      ["verify-clean", 1 * S, 1],
    ]);
    expect(report.steps[1]!.output).toBe("NetworkPolicies: production/drbot-isolate");
  });

  it("splits the RTO into its phases, each against its budget, and compares the total with the tier's target", () => {
    expect(report.rto).toMatchObject({
      targetMs: 2 * 3_600_000,
      totalMs: 160 * S,
      met: true,
      finished: true,
    });
    // The strategy's budgets (the run predates per-tier budgets); the checklist's 8 s of waiting
    // for people is reported apart from activation.
    expect(report.rto.phases).toEqual([
      { name: "detection", ms: undefined, budgetMs: 15 * 60 * S, over: false },
      { name: "decision", ms: 90 * S, budgetMs: 30 * 60 * S, over: false },
      { name: "activation", ms: 31 * S, budgetMs: 90 * 60 * S, over: false },
      { name: "validation", ms: 30 * S, budgetMs: 45 * 60 * S, over: false },
    ]);
    expect(report.rto.waitingMs).toBe(8 * S);
  });

  it("compares the data at risk at request time with the tier's RPO", () => {
    expect(report.rpo).toEqual({ targetMs: 15 * 60 * S, exposureMs: 5 * 60 * S, withinTarget: true });
  });

  it("lists who approved, when, and how long after the request", () => {
    expect(report.approvals).toEqual({
      required: 1,
      received: [{ userId: "U0A1", at: T0 + 90 * S, waitMs: 90 * S, planHash: "plan-hash-1" }],
    });
  });

  it("lists who ticked which checklist item and when, oldest first", () => {
    expect(report.attestations.map((a) => [a.item, a.userId, a.at - T0])).toEqual([
      ["Stakeholders notified", "U0ONCALL", 95 * S],
      ["DR cluster ready", "U0A1", 98 * S],
    ]);
  });

  it("lists what failed or needed retries, for the review", () => {
    expect(report.failures).toEqual([
      { stepId: "scale-up", title: "Scale up on DR", status: "succeeded", attempts: 2 },
    ]);
  });

  it("tells the timeline in words", () => {
    expect(report.timeline.map((t) => t.text)).toEqual([
      "requested drill: quarterly (plan plan-hash-1, 1 approval(s) needed)",
      "approval recorded (1/1), run approved",
      'ticked "Stakeholders notified" on pre-test-checklist',
      "scale-up succeeded (attempt 2)",
      "run running → completed",
    ]);
  });

  it("carries a drill's before/after diff and the proof that nothing remains", () => {
    expect(report.drill?.diffs[0]).toMatchObject({ site: "dc2", before: "before", after: "after" });
    expect(report.drill?.diffs[0]?.diff?.changed[0]).toMatchObject({
      field: "replicas",
      before: "0",
      after: "3",
    });
    expect(report.drill?.cleanup).toEqual([
      {
        stepId: "verify-clean",
        status: "succeeded",
        proof: `nothing labelled with ${run.id} remains on dc1, dc2`,
      },
    ]);
    expect(report.drill?.clean).toBe(true);
    expect(report.outcome).toContain("nothing left behind");
  });

  it("does not call a drill clean when its cleanup step failed", () => {
    const failed = new Map(records);
    failed.set(
      "verify-clean",
      stepRecord("verify-clean", { status: "failed", error: "left behind: dc2: NetworkPolicy x" }),
    );
    const r = buildRunReport({ run, steps: failed, events, now: T0 + 200 * S });
    expect(r.drill?.clean).toBe(false);
    expect(r.drill?.cleanup[0]?.error).toContain("left behind");
    expect(r.outcome).toContain("cleanup NOT proven");
  });

  it("leaves the drill section out of a failover's report", () => {
    const failover = { ...run, kind: "failover" as const, mode: "real" as const };
    expect(buildRunReport({ run: failover, steps: records, events, now: T0 }).drill).toBeUndefined();
  });
});
