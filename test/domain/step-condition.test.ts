import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/domain/plan.js";
import type { StepRecord } from "../../src/domain/run.js";
import { resolveScope } from "../../src/domain/scope.js";
import { describeCondition, judgeCondition, stepDependencies } from "../../src/domain/step-condition.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";

const registry = createStepKindRegistry();
const config = testConfig();

function plan(steps: unknown[]) {
  return buildPlan({
    runbook: testRunbook({ phases: [{ name: "main", steps }] }),
    config,
    scope: resolveScope(config, ["payments"], "failover"),
    mode: "real",
    catalog: registry,
  });
}

const probe = {
  id: "probe-primary",
  title: "Does the primary answer?",
  kind: "site.probe",
  with: { site: "{{sites.from}}" },
};
const wait = (id: string, when?: unknown) => ({
  id,
  title: id,
  kind: "wait",
  with: { duration: "1s" },
  ...(when ? { when } : {}),
});

describe("conditional steps in a plan", () => {
  it("keeps both paths, each step with its condition, and each needs the step that decides", () => {
    const p = plan([
      probe,
      wait("planned", { step: "probe-primary", is: "reachable" }),
      wait("emergency", { step: "probe-primary", is: ["unreachable"] }),
      wait("always"),
    ]);
    expect(p.steps.map((s) => [s.id, s.when])).toEqual([
      ["probe-primary", undefined],
      ["planned", { step: "probe-primary", is: ["reachable"] }],
      ["emergency", { step: "probe-primary", is: ["unreachable"] }],
      ["always", undefined],
    ]);
    expect(p.steps[2]!.needs).toContain("probe-primary");
    expect(describeCondition(p.steps[1]!.when!)).toBe("only if probe-primary: reachable");
  });

  it("gives a different hash when only a step's condition changes", () => {
    const a = plan([probe, wait("x", { step: "probe-primary", is: "reachable" })]);
    const b = plan([probe, wait("x", { step: "probe-primary", is: "unreachable" })]);
    expect(a.hash).not.toBe(b.hash);
  });

  it("refuses a condition on a step that does not come earlier, decides nothing, or never decides that", () => {
    expect(() => plan([wait("x", { step: "probe-primary", is: "reachable" }), probe])).toThrow(
      /step x at .*when names step "probe-primary", which is not an earlier step of the runbook/,
    );
    expect(() => plan([wait("first"), wait("x", { step: "first", is: "done" })])).toThrow(
      /when names step "first", whose kind decides no outcome/,
    );
    expect(() => plan([probe, wait("x", { step: "probe-primary", is: "reachble" })])).toThrow(
      /step "probe-primary" decides reachable or unreachable, never reachble/,
    );
  });
});

describe("judging a step's condition", () => {
  const when = { step: "probe-primary", is: ["reachable"] };
  const decided = (record: Partial<StepRecord>) =>
    new Map([
      ["probe-primary", { id: "probe-primary", status: "succeeded", attempts: 1, ...record } as StepRecord],
    ]);

  it("holds when the deciding step decided one of the outcomes it names", () => {
    expect(judgeCondition({ when }, decided({ outcome: "reachable" }))).toEqual({ holds: true });
  });

  it("does not hold, saying what was decided, when it decided another", () => {
    expect(judgeCondition({ when }, decided({ outcome: "unreachable" }))).toEqual({
      holds: false,
      reason: "runs only when probe-primary decides reachable; it decided unreachable",
    });
  });

  it("does not hold when the deciding step ended without deciding", () => {
    expect(judgeCondition({ when }, decided({ status: "failed" }))).toEqual({
      holds: false,
      reason: "runs only when probe-primary decides reachable; it ended failed without a decision",
    });
  });

  it("is pending while the deciding step has not finished", () => {
    expect(judgeCondition({ when }, decided({ status: "running" }))).toEqual({ holds: "pending" });
  });
});

describe("what a step waits for", () => {
  const when = { step: "probe-primary", is: ["reachable"] };

  it("is its needs and the step that decides its condition, named once", () => {
    expect(stepDependencies({ needs: ["fence"], when })).toEqual(["fence", "probe-primary"]);
    expect(stepDependencies({ needs: ["probe-primary"], when })).toEqual(["probe-primary"]);
    expect(stepDependencies({ needs: ["fence"] })).toEqual(["fence"]);
  });
});
