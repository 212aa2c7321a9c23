import { describe, expect, it } from "vitest";
import type { PlanStep, StepRecord } from "../../src/domain/run.js";
import {
  skipPassesPointOfNoReturn,
  stepsPastPointOfNoReturn,
  undoWithheldBecause,
} from "../../src/domain/undo-rule.js";

/** A plan step as the plan builder makes it, with only what the rule reads. */
function step(id: string, extra: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    runbookStepId: id,
    phase: "main",
    rtoPhase: "activation",
    title: `Step ${id}`,
    kind: "test.effect",
    params: {},
    timeoutMs: 1000,
    retries: 0,
    retryDelayMs: 0,
    onFailure: "abort",
    needs: [],
    summary: id,
    ...extra,
  };
}

const stopWrites = step("stop-writes", {
  undo: { kind: "test.undo", params: {}, timeoutMs: 1000, until: "promote" },
});

/** The failover's shape: stop writes, catch up, promote beside the other data steps, switch DNS. */
const plan: PlanStep[] = [
  stopWrites,
  step("catch-up", { needs: ["stop-writes"] }),
  step("promote", { needs: ["catch-up"], group: "data" }),
  step("volumes", { needs: ["catch-up"], group: "data" }),
  step("dns-switch", { needs: ["promote", "volumes"] }),
  step("proof", { needs: ["dns-switch"], always: true }),
];

const records = (changes: Record<string, Partial<StepRecord>>) =>
  new Map(
    plan.map((s) => [s.id, { id: s.id, status: "not_started", attempts: 0, ...changes[s.id] } as StepRecord]),
  );

describe("the point of no return of an undo", () => {
  it("is the until step, the steps sharing its group and every step after it, never an always step", () => {
    expect([...stepsPastPointOfNoReturn("promote", plan)].sort()).toEqual([
      "dns-switch",
      "promote",
      "volumes",
    ]);
  });

  it("counts a step depending on it even when it comes earlier in the plan", () => {
    const early = step("early", { needs: ["promote"] });
    expect(stepsPastPointOfNoReturn("promote", [early, ...plan]).has("early")).toBe(true);
  });

  it("is passed when a step beside the until step started, though the until step did not", () => {
    expect(
      undoWithheldBecause(stopWrites, plan, records({ volumes: { status: "running", attempts: 1 } })),
    ).toBe(
      "kept: volumes (Step volumes) was started, at or past promote (Step promote), and this step is not taken back past it",
    );
  });

  it("is not passed by a step its condition skipped, nor by the always proof after an abort", () => {
    expect(
      undoWithheldBecause(
        stopWrites,
        plan,
        records({
          "dns-switch": { status: "skipped", resolvedBy: "condition" },
          proof: { status: "succeeded", attempts: 1 },
        }),
      ),
    ).toBeUndefined();
  });

  it("refuses the skip of a step at or past it while nothing there has started, and allows it once past", () => {
    expect(skipPassesPointOfNoReturn("catch-up", plan, records({}))).toBeUndefined();
    expect(skipPassesPointOfNoReturn("volumes", plan, records({}))).toContain(
      "volumes comes at or after promote, the point of no return of the undo of stop-writes",
    );
    // A failed promotion may have got half-way: skipping it changes nothing of the undo, withheld already.
    expect(
      skipPassesPointOfNoReturn("promote", plan, records({ promote: { status: "failed", attempts: 1 } })),
    ).toBeUndefined();
    expect(
      skipPassesPointOfNoReturn("dns-switch", plan, records({ promote: { status: "failed", attempts: 1 } })),
    ).toBeUndefined();
  });
});
