import { describe, expect, it } from "vitest";
import { hashPlan, PLAN_HASH, planMatchesHash } from "../../src/domain/plan-hash.js";
import type { Plan, PlanStep } from "../../src/domain/run.js";
import { plannedRun } from "../support/planned-run.js";

const STEPS = [
  { id: "scale", title: "Scale up", kind: "wait", with: { duration: "1s" }, timeout: "30s", retries: 1 },
  {
    id: "run",
    title: "Run the script",
    kind: "shell",
    with: { command: "true", args: [] },
    undo: { kind: "shell", with: { command: "false", args: [], idempotent: true } },
  },
];

function planWith(change: (step: PlanStep) => PlanStep): Plan {
  const plan = plannedRun(STEPS).plan;
  return { ...plan, steps: plan.steps.map((s, i) => (i === 0 ? change(s) : s)) };
}

describe("the plan hash", () => {
  it("is SHA-256 in hex and the plan builder's own hash", () => {
    const plan = plannedRun(STEPS).plan;
    expect(plan.hash).toMatch(PLAN_HASH);
    expect(planMatchesHash(plan)).toBe(true);
  });

  it("survives the plan being stored and read back, whatever the order of its fields", () => {
    const plan = plannedRun(STEPS).plan;
    const stored = JSON.parse(JSON.stringify(plan)) as Plan;
    const reordered = Object.fromEntries(Object.entries(stored).reverse()) as unknown as Plan;
    expect(planMatchesHash(stored)).toBe(true);
    expect(planMatchesHash(reordered)).toBe(true);
  });

  it("no longer matches once anything a step does is changed after the plan was built", () => {
    const changes: [string, (s: PlanStep) => PlanStep][] = [
      ["its params", (s) => ({ ...s, params: { ...s.params, duration: 2_000 } })],
      ["its kind", (s) => ({ ...s, kind: "shell" })],
      ["its timeout", (s) => ({ ...s, timeoutMs: s.timeoutMs + 1 })],
      ["its retries", (s) => ({ ...s, retries: 5 })],
      ["its retry delay", (s) => ({ ...s, retryDelayMs: 1 })],
      ["what a failure does", (s) => ({ ...s, onFailure: "continue" })],
      ["what it needs", (s) => ({ ...s, needs: ["run"] })],
      ["its undo", (s) => ({ ...s, undo: { kind: "shell", params: { command: "rm" }, timeoutMs: 1 } })],
      ["its title", (s) => ({ ...s, title: "Harmless" })],
    ];
    for (const [what, change] of changes) expect(planMatchesHash(planWith(change)), what).toBe(false);
  });

  it("no longer matches once a step is added or the scope or mode changes", () => {
    const plan = plannedRun(STEPS).plan;
    const extra = { ...plan.steps[0]!, id: "extra" };
    expect(planMatchesHash({ ...plan, steps: [...plan.steps, extra] })).toBe(false);
    expect(planMatchesHash({ ...plan, mode: "drill" })).toBe(false);
    expect(planMatchesHash({ ...plan, scope: { ...plan.scope, toSite: "dc3" } })).toBe(false);
    expect(planMatchesHash({ ...plan, pins: { backup: "other" } })).toBe(false);
  });

  it("is computed from the plan's content alone", () => {
    const { hash, ...rest } = plannedRun(STEPS).plan;
    expect(hashPlan(rest)).toBe(hash);
  });
});
