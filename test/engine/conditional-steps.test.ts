import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { buildRunReport } from "../../src/domain/run-report.js";
import { defineStepKind } from "../../src/engine/step-kind.js";
import { decideKind, scriptedDecideKind } from "../support/decide-step-kind.js";
import { effect, engineHarness, proof } from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

function harness() {
  return engineHarness({
    store: new MemoryRunStore({ now: () => Date.now() }),
    extraKinds: [decideKind, scriptedDecideKind],
  });
}

const scripted = (attempts: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  id: "decide",
  title: "Decide",
  kind: "test.decide-per-attempt",
  with: { attempts },
  ...extra,
});

const decide = (answer: "yes" | "no") => ({
  id: "decide",
  title: "Decide",
  kind: "test.decide",
  with: { answer },
});

describe("conditional steps in a run", () => {
  it("runs the path the deciding step chose, skips the other with its reason, and completes", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      decide("no"),
      effect("planned", { when: { step: "decide", is: "yes" } }),
      effect("emergency", { when: { step: "decide", is: "no" } }),
      effect("both"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["emergency", "both"]);
    const steps = await h.store.getSteps(run.id);
    expect(steps.get("decide")).toMatchObject({ status: "succeeded", outcome: "no" });
    expect(steps.get("planned")).toMatchObject({
      status: "skipped",
      resolvedBy: "condition",
      skipReason: "runs only when decide decides yes; it decided no",
    });
    const events = await h.store.readEvents(run.id);
    expect(events.find((e) => e.stepId === "planned" && e.data.status === "skipped")?.data).toMatchObject({
      skipReason: "runs only when decide decides yes; it decided no",
    });
  });

  it("shows the decision and the skipped path in the run's report", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      decide("yes"),
      effect("planned", { when: { step: "decide", is: "yes" } }),
      effect("emergency", { when: { step: "decide", is: "no" } }),
    ]);
    await h.engine.drive(run.id);
    const report = buildRunReport({
      run: (await h.store.getRun(run.id))!,
      steps: await h.store.getSteps(run.id),
      events: await h.store.readEvents(run.id),
      now: Date.now(),
    });
    expect(report.outcome).toMatch(/^completed/);
    expect(report.failures).toEqual([]);
    expect(report.steps.find((s) => s.id === "decide")).toMatchObject({ outcome: "yes" });
    expect(report.steps.find((s) => s.id === "emergency")).toMatchObject({
      status: "skipped",
      skipReason: "runs only when decide decides no; it decided yes",
    });
  });

  it("keeps each attempt's decision its own: a retry's record has the new attempt's outcome, the retry event the old one", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      scripted([{ outcome: "yes", fail: true }, { outcome: "no" }], { retries: 1, retryDelay: 0 }),
      effect("planned", { when: { step: "decide", is: "yes" } }),
      effect("emergency", { when: { step: "decide", is: "no" } }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["emergency"]);
    expect((await h.store.getSteps(run.id)).get("decide")).toMatchObject({
      status: "succeeded",
      attempts: 2,
      outcome: "no",
    });
    const decided = (await h.store.readEvents(run.id))
      .filter((e) => e.stepId === "decide" && e.type === "step.state")
      .map((e) => [e.data.attempt, e.data.status, e.data.outcome]);
    expect(decided).toEqual([
      [1, "running", undefined],
      [1, "running", "yes"],
      [2, "running", undefined],
      [2, "succeeded", "no"],
    ]);
    const report = buildRunReport({
      run: (await h.store.getRun(run.id))!,
      steps: await h.store.getSteps(run.id),
      events: await h.store.readEvents(run.id),
      now: Date.now(),
    });
    expect(report.steps.find((s) => s.id === "decide")).toMatchObject({ outcome: "no" });
    expect(report.timeline.map((t) => t.text)).toContain(
      "decide running (attempt 1), decided yes: attempt 1 failed: attempt 1 failed; retrying",
    );
  });

  it("never reads an earlier attempt's decision as the next attempt's: a later attempt that decides nothing leaves no outcome", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      scripted([{ outcome: "yes", fail: true }, { throws: true }]),
      effect("planned", { when: { step: "decide", is: "yes" } }),
    ]);
    // Attempt 1 fails having decided "yes"; the run pauses on it.
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect((await h.store.getSteps(run.id)).get("decide")).toMatchObject({
      status: "failed",
      outcome: "yes",
    });
    // Resumed, attempt 2 decides nothing (it throws): the record must not keep attempt 1's "yes".
    await h.service.resume({ actor: "U0A1", runId: run.id });
    await waitFor(async () => (await h.store.getSteps(run.id)).get("decide")?.attempts === 2, {
      description: "the second attempt of decide",
    });
    await h.waitForState(run.id, ["paused_failed_step"]);
    const after = (await h.store.getSteps(run.id)).get("decide");
    expect(after).toMatchObject({ status: "failed", attempts: 2 });
    expect(after?.outcome).toBeUndefined();
    // Skipped by an approver, decide decided nothing: the path that needs "yes" is not taken on attempt 1's word.
    await h.service.skip({ actor: "U0A1", runId: run.id, stepId: "decide", reason: "probe broken" });
    await h.waitForState(run.id, ["completed"]);
    expect(h.ledger.entries).toEqual([]);
    expect((await h.store.getSteps(run.id)).get("planned")).toMatchObject({
      status: "skipped",
      skipReason: "runs only when decide decides yes; it ended skipped without a decision",
    });
  });

  it("starts a conditional step only once the step that decides it has finished, even when the plan does not list it among the step's needs", async () => {
    let decide: (answer: "yes" | "no") => void = () => undefined;
    const decision = new Promise<"yes" | "no">((resolve) => {
      decide = resolve;
    });
    const decidesLater = defineStepKind({
      kind: "test.decide-later",
      description: "Decides what the test says, when it says it.",
      params: z.object({}).strict(),
      siteParams: [],
      outcomes: ["yes", "no"],
      idempotent: true,
      summarize: () => "decide later",
      execute: async () => ({ status: "succeeded", outcome: await decision }),
    });
    const h = engineHarness({
      store: new MemoryRunStore({ now: () => Date.now() }),
      extraKinds: [decidesLater],
    });
    const run = await h.createApprovedRun([
      { id: "decide", title: "Decide", kind: "test.decide-later", with: {} },
      effect("planned", { when: { step: "decide", is: "yes" } }),
    ]);
    // A plan whose conditional step does not name its deciding step among its needs.
    const stored = (await h.store.getRun(run.id))!;
    const steps = stored.plan.steps.map((s) => (s.id === "planned" ? { ...s, needs: [] } : s));
    await h.store.updateRun(
      { ...stored, plan: { ...stored.plan, steps }, version: stored.version + 1 },
      stored.version,
    );
    const driving = h.engine.drive(run.id);
    await waitFor(async () => (await h.store.getSteps(run.id)).get("decide")?.status === "running", {
      description: "decide to be running",
    });
    expect((await h.store.getSteps(run.id)).get("planned")?.status).toBe("not_started");
    decide("no");
    expect(await driving).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual([]);
    expect((await h.store.getSteps(run.id)).get("planned")).toMatchObject({
      status: "skipped",
      skipReason: "runs only when decide decides yes; it decided no",
    });
  });

  it("skips a conditional always step, saying why, when the run ends before its deciding step decided", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      effect("first", {}, { fail: true }),
      decide("yes"),
      proof("cleanup-if-yes", { always: true, when: { step: "decide", is: "yes" } }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    await h.service.abort({ actor: "U0A1", runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual([]);
    expect((await h.store.getSteps(run.id)).get("cleanup-if-yes")).toMatchObject({
      status: "skipped",
      resolvedBy: "condition",
      skipReason: "runs only when decide decides yes; it never decided (it is not started)",
    });
  });
});
