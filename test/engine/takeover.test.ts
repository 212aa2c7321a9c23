import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import type { RunRecord } from "../../src/domain/run.js";
import { type CrashPoint, crashable, crashingStepKind } from "../support/crashing-step-kind.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { mortalStore } from "../support/mortal-store.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Two executors share one store: the victim dies inside a step (its store calls stop arriving, so
 * its lease lapses instead of being released) and the survivor takes the run over. Time is the
 * test's: the lease lapses when the test moves the clock past its TTL.
 */
const LEASE_TTL_MS = 1_000;

function manualClock() {
  let at = Date.now();
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

function twoExecutors(
  crash: Omit<CrashPoint, "die">,
  survivorHooks: { beforeObserve?: (key: string) => Promise<void> } = {},
) {
  const clock = manualClock();
  const store = new MemoryRunStore(clock);
  const ledger = new Ledger();
  const victimView = mortalStore(store);
  const common = { clock, ledger, leaseTtlMs: LEASE_TTL_MS };
  const victim = engineHarness({
    ...common,
    store: victimView.store,
    ownerId: "victim",
    extraKinds: [crashingStepKind(ledger, { crash: { ...crash, die: victimView.die } })],
  });
  const survivor = engineHarness({
    ...common,
    store,
    ownerId: "survivor",
    extraKinds: [crashingStepKind(ledger, survivorHooks)],
  });
  return { clock, store, ledger, victim, victimView, survivor };
}

type Executors = ReturnType<typeof twoExecutors>;

/** The victim starts the run and dies inside its crash step; the test then lets its lease lapse. */
async function killMidStep(x: Executors, steps: unknown[]): Promise<RunRecord> {
  const run = await x.survivor.createApprovedRun(steps);
  void x.victim.engine.drive(run.id);
  await waitFor(() => x.victimView.dead, { description: "the victim to die inside its step" });
  // Until its lease runs out, a dead owner still keeps every other executor away.
  expect(await x.survivor.engine.drive(run.id)).toEqual({
    driven: false,
    reason: "held",
    heldBy: "victim#1",
  });
  x.clock.advance(LEASE_TTL_MS);
  expect(await x.store.leaseHolder(run.id)).toBeUndefined();
  return run;
}

/** The run's state changes in its audit trail: [event type, actor, state]. */
async function stateTrail(x: Executors, runId: string) {
  return (await x.store.readEvents(runId))
    .filter((e) => e.type === "run.state" || e.type === "run.takeover")
    .map((e) => [e.type, e.actor, e.data.state]);
}

describe("taking over a run whose owner died mid-step", () => {
  it("marks the run interrupted, re-observes the step in flight and finishes without repeating its effect", async () => {
    let asked = false;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const x = twoExecutors(
      { key: "b", at: "after_effect" },
      {
        beforeObserve: async () => {
          asked = true;
          await answered;
        },
      },
    );
    const run = await killMidStep(x, [effect("a"), crashable("b"), effect("c")]);
    expect((await x.store.getSteps(run.id)).get("b")).toMatchObject({ status: "running", attempts: 1 });

    const driving = x.survivor.engine.drive(run.id);
    await waitFor(() => asked, { description: "the survivor to ask whether b took effect" });
    // While it asks, the run is interrupted, and says so in the store.
    expect(await x.store.getRun(run.id)).toMatchObject({
      state: "interrupted",
      stateReason: "the previous executor stopped with 1 step(s) in flight; re-observing them",
    });
    const takeover = (await x.store.readEvents(run.id)).find((e) => e.type === "run.takeover");
    expect(takeover).toMatchObject({
      actor: "engine:survivor",
      data: { state: "interrupted", from: "running", owner: "survivor", inFlight: ["b"] },
    });
    answer();

    expect(await driving).toEqual({ driven: true, state: "completed" });
    expect(x.ledger.entries).toEqual(["a", "b", "c"]);
    expect((await x.store.getSteps(run.id)).get("b")).toMatchObject({
      status: "succeeded",
      attempts: 1,
      resolvedBy: "observed",
      output: "observed after takeover: b is in the ledger",
    });
    expect(await stateTrail(x, run.id)).toEqual([
      ["run.state", "engine:victim", "running"],
      ["run.takeover", "engine:survivor", "interrupted"],
      ["run.state", "engine:survivor", "running"],
      ["run.state", "engine:survivor", "completed"],
    ]);
    expect(x.survivor.observer.events.map((e) => e.type)).toContain("run.takeover");
    expect(await x.store.leaseHolder(run.id)).toBeUndefined();
  });

  it("leaves the run interrupted when the next executor dies too while asking, and a third one finishes it", async () => {
    const x = twoExecutors({ key: "b", at: "after_effect" });
    const secondView = mortalStore(x.store);
    const second = engineHarness({
      store: secondView.store,
      clock: x.clock,
      ledger: x.ledger,
      leaseTtlMs: LEASE_TTL_MS,
      ownerId: "second",
      extraKinds: [crashingStepKind(x.ledger, { beforeObserve: async () => secondView.die() })],
    });
    const run = await killMidStep(x, [effect("a"), crashable("b"), effect("c")]);
    void second.engine.drive(run.id);
    await waitFor(() => secondView.dead, { description: "the second executor to die asking" });
    expect(await x.store.getRun(run.id)).toMatchObject({ state: "interrupted" });
    x.clock.advance(LEASE_TTL_MS);

    expect(await x.survivor.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(x.ledger.entries).toEqual(["a", "b", "c"]);
    expect(await stateTrail(x, run.id)).toEqual([
      ["run.state", "engine:victim", "running"],
      ["run.takeover", "engine:second", "interrupted"],
      ["run.state", "engine:survivor", "running"],
      ["run.state", "engine:survivor", "completed"],
    ]);
    const observed = (await x.store.readEvents(run.id)).filter((e) => e.type === "step.observed");
    expect(observed.map((e) => [e.actor, e.stepId, e.data.holds])).toEqual([["engine:survivor", "b", true]]);
  });

  it("runs the step again when the dead owner never got to its effect", async () => {
    const x = twoExecutors({ key: "b", at: "before_effect" });
    const run = await killMidStep(x, [effect("a"), crashable("b"), effect("c")]);
    expect(await x.survivor.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(x.ledger.entries).toEqual(["a", "b", "c"]);
    expect((await x.store.getSteps(run.id)).get("b")).toMatchObject({ status: "succeeded", attempts: 2 });
    const observed = (await x.store.readEvents(run.id)).find((e) => e.type === "step.observed");
    expect(observed).toMatchObject({
      stepId: "b",
      data: { holds: false, evidence: "b is not in the ledger" },
    });
    expect((await stateTrail(x, run.id)).map(([type, , state]) => `${type}:${state}`)).toEqual([
      "run.state:running",
      "run.takeover:interrupted",
      "run.state:running",
      "run.state:completed",
    ]);
  });

  it("runs an idempotent step again when nothing tells whether it took effect", async () => {
    const x = twoExecutors({ key: "b", at: "after_effect" });
    const run = await killMidStep(x, [crashable("b", { idempotent: true, observable: false }), effect("c")]);
    expect(await x.survivor.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    // Repeating it is harmless by contract, so it is repeated rather than asked about.
    expect(x.ledger.entries).toEqual(["b", "b", "c"]);
    expect((await x.store.getSteps(run.id)).get("b")).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("pauses for a person when a non-idempotent step's effect cannot be observed, and never repeats it", async () => {
    const x = twoExecutors({ key: "b", at: "after_effect" });
    const run = await killMidStep(x, [effect("a"), crashable("b", { observable: false }), effect("c")]);

    expect(await x.survivor.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    const paused = (await x.store.getRun(run.id))!;
    expect(paused.stateReason).toBe("interrupted step(s) need a person: b");
    const steps = await x.store.getSteps(run.id);
    expect(steps.get("b")).toMatchObject({ status: "failed", attempts: 1, resolvedBy: "observed" });
    expect(steps.get("b")!.error).toBe(
      "interrupted, and whether it took effect is unknown (nothing records whether b happened); check by hand, then resume to repeat it or skip it",
    );
    expect(steps.get("c")).toMatchObject({ status: "not_started" });
    expect(await stateTrail(x, run.id)).toEqual([
      ["run.state", "engine:victim", "running"],
      ["run.takeover", "engine:survivor", "interrupted"],
      ["run.state", "engine:survivor", "paused_failed_step"],
    ]);
    // Driving it again changes nothing: only a person moves a paused run.
    expect(await x.survivor.engine.drive(run.id)).toMatchObject({
      driven: false,
      reason: "not_executable",
      state: "paused_failed_step",
    });
    expect(x.ledger.entries).toEqual(["a", "b"]);

    // An approver checks by hand that b happened and skips it: the run finishes, b ran once.
    await x.survivor.service.skip({ actor: "U0A1", runId: run.id, stepId: "b", reason: "b happened" });
    const done = await x.survivor.waitForState(run.id, ["completed"]);
    expect(done.decisions.map((d) => [d.userId, d.decision, d.note])).toEqual([
      ["U0A1", "skipped", "b happened"],
    ]);
    expect(x.ledger.entries).toEqual(["a", "b", "c"]);
  });
});
