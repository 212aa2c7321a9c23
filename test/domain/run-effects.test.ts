import { describe, expect, it } from "vitest";
import { initialStepRecords, type RunRecord, type StepRecord } from "../../src/domain/run.js";
import { changesSomething, runEffects, runStarted } from "../../src/domain/run-effects.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { plannedRun } from "../support/planned-run.js";

const scale = (id: string, undo: boolean) => ({
  id,
  title: id,
  kind: "k8s.scale",
  with: { site: "dc2", namespace: "production", name: "payments-api", replicas: 3 },
  ...(undo
    ? {
        undo: {
          kind: "k8s.scale",
          with: { site: "dc2", namespace: "production", name: "payments-api", replicas: 0 },
        },
      }
    : {}),
});

describe("what a run changed", () => {
  const run = plannedRun([
    scale("undone", true),
    scale("withheld", true),
    scale("failed-undo", true),
    scale("no-undo", false),
    scale("not-reached", true),
    { id: "check", title: "check", kind: "http", with: { url: "http://127.0.0.1:9/" } },
  ]);
  const records = (state: RunRecord["state"], status: Record<string, Partial<StepRecord>>) => {
    const attempted: Partial<StepRecord> = { status: "succeeded", attempts: 1, startedAt: 1 };
    const steps = new Map(
      initialStepRecords(run.plan).map((s) => [
        s.id,
        { ...s, ...(s.id === "not-reached" ? {} : attempted), ...status[s.id] },
      ]),
    );
    return runEffects({ ...run, state }, steps);
  };

  it("lists each attempted step that changes something with its fate, in plan order; checks and steps not reached are left out", () => {
    const effects = records("aborted", {
      undone: { undone: true },
      withheld: { undoWithheld: true },
      "failed-undo": { output: "scaled\nundo: failed (dc2 did not answer)" },
    });
    expect(effects.map((e) => `${e.stepId}: ${e.effect}, ${e.undo}`)).toEqual([
      "undone: scaled, undone",
      "withheld: scaled, withheld",
      "failed-undo: scaled, undo_failed",
      "no-undo: scaled, kept",
    ]);
  });

  it("says a paused run's changes are pending an abort, and a completed run's are in effect", () => {
    expect(records("paused_failed_step", {}).map((e) => e.undo)).toEqual([
      "undo_pending",
      "undo_pending",
      "undo_pending",
      "kept",
    ]);
    expect(records("completed", {}).every((e) => e.undo === "in_effect")).toBe(true);
  });

  it("knows a run that never attempted a step changed nothing", () => {
    expect(runStarted(new Map(initialStepRecords(run.plan).map((s) => [s.id, s])))).toBe(false);
  });

  it("counts every read-only step kind as changing nothing", () => {
    const registry = createStepKindRegistry();
    const readOnly = registry.kinds().filter((kind) => registry.get(kind)?.readOnly);
    expect(readOnly.length).toBeGreaterThan(5);
    expect(readOnly.filter(changesSomething)).toEqual([]);
  });
});
