import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { buildPlan } from "../../src/domain/plan.js";
import { buildRunReport, describeEvent } from "../../src/domain/run-report.js";
import { resolveScope } from "../../src/domain/scope.js";
import { defineStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { decideKind } from "../support/decide-step-kind.js";
import {
  effect,
  engineHarness,
  Ledger,
  ledgerStepKind,
  proof,
  undoable,
  undoStepKind,
} from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

const clock = { now: () => Date.now() };
const APPROVER = "U0A1";

function harness(extra: Partial<Parameters<typeof engineHarness>[0]> = {}) {
  return engineHarness({ store: new MemoryRunStore(clock), ...extra });
}

const checklist = (id: string) => ({
  id,
  title: `Checklist ${id}`,
  kind: "checklist",
  with: { items: ["DR ready"] },
});
const alwaysRuns = (id: string) => proof(id, { always: true });

async function undoEvents(h: ReturnType<typeof harness>, runId: string) {
  return (await h.store.readEvents(runId)).filter((e) => e.type === "step.undo").map(describeEvent);
}

describe("a run that ends early undoes what it did", () => {
  it("on an operator's abort of a running step: undoes it and every step before it, newest first, then runs the always steps", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      undoable("isolate"),
      undoable("scale-up", {}, { holdMs: 60_000 }),
      undoable("never-started"),
      alwaysRuns("verify-clean"),
    ]);
    const driving = h.engine.drive(run.id);
    await waitFor(async () => (await h.store.getSteps(run.id)).get("scale-up")?.status === "running", {
      description: "scale-up to be running",
    });
    await h.service.abort({ actor: APPROVER, runId: run.id, note: "window over" });
    expect(await driving).toEqual({ driven: true, state: "aborted" });
    // scale-up was cut short (it may have done part of its work): its undo runs too; never-started's does not.
    expect(h.ledger.entries).toEqual(["isolate", "undo-scale-up", "undo-isolate", "verify-clean"]);
    const steps = await h.store.getSteps(run.id);
    expect(steps.get("scale-up")).toMatchObject({ status: "failed", undone: true });
    expect(steps.get("isolate")).toMatchObject({ status: "succeeded", undone: true });
    expect(steps.get("never-started")).toMatchObject({ status: "not_started" });
    expect(steps.get("never-started")?.undone).toBeUndefined();
    expect(steps.get("verify-clean")).toMatchObject({ status: "succeeded" });
    expect(await undoEvents(h, run.id)).toEqual([
      "scale-up undo (test.undo): running",
      "scale-up undo (test.undo): succeeded",
      "isolate undo (test.undo): running",
      "isolate undo (test.undo): succeeded",
    ]);
  });

  it("on an abort of a run paused on a failed step: goes back to an executor, undoes, and ends aborted", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      undoable("isolate"),
      effect("scale-up", {}, { fail: true }),
      alwaysRuns("verify-clean"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    const answered = await h.service.abort({ actor: APPROVER, runId: run.id });
    expect(["running", "aborted"]).toContain(answered.state);
    const ended = await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["isolate", "undo-isolate", "verify-clean"]);
    expect(ended.stateReason).toBe(`aborted by ${APPROVER}`);
    const states = (await h.store.readEvents(run.id))
      .filter((e) => e.type === "run.state")
      .map((e) => String(e.data.state));
    expect(states.slice(-3)).toEqual(["paused_failed_step", "running", "aborted"]);
  });

  it("on an abort of a run waiting for a person: undoes what ran before the checklist", async () => {
    const h = harness();
    const run = await h.createApprovedRun([undoable("isolate"), checklist("ready"), undoable("scale-up")]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["isolate", "undo-isolate"]);
  });

  it("on an abort of a run waiting for a person that no process drove when it was written: the supervisor carries it out", async () => {
    const store = new MemoryRunStore(clock);
    const ledger = new Ledger();
    const serve = harness({ store, ledger, ownerId: "serve" });
    // Written as the CLI with --detach writes it, or a process that stopped right after.
    const detached = harness({ store, ledger, ownerId: "cli", autoStart: false });
    const run = await serve.createApprovedRun([
      undoable("isolate"),
      checklist("ready"),
      undoable("scale-up"),
    ]);
    expect(await serve.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    const answered = await detached.service.abort({ actor: APPROVER, runId: run.id, note: "stand down" });
    expect(answered).toMatchObject({ state: "running", control: { action: "abort", userId: APPROVER } });
    expect((await serve.service.supervise()).driven).toEqual([run.id]);
    const ended = await serve.waitForState(run.id, ["aborted"]);
    expect(ended.stateReason).toBe(`aborted by ${APPROVER}: stand down`);
    expect(ledger.entries).toEqual(["isolate", "undo-isolate"]);
  });

  it("on an abort that lands while an executor judges the waiting step: the same pass carries it out", async () => {
    const store = new MemoryRunStore(clock);
    const ledger = new Ledger();
    let personActs: (() => Promise<unknown>) | undefined;
    const waitsForPerson = defineStepKind({
      kind: "test.wait-for-person",
      description: "Waits for a person; the test acts as one while it is judged.",
      params: z.object({}).strict(),
      siteParams: [],
      idempotent: true,
      summarize: () => "wait for a person",
      async execute() {
        const act = personActs;
        personActs = undefined;
        await act?.();
        return { status: "waiting", output: "waiting for a person" };
      },
    });
    const serve = harness({ store, ledger, ownerId: "serve", extraKinds: [waitsForPerson] });
    const detached = harness({
      store,
      ledger,
      ownerId: "cli",
      autoStart: false,
      extraKinds: [waitsForPerson],
    });
    const run = await serve.createApprovedRun([
      undoable("isolate"),
      { id: "ready", title: "Ready?", kind: "test.wait-for-person", with: {} },
    ]);
    expect(await serve.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    personActs = () => detached.service.abort({ actor: APPROVER, runId: run.id });
    // A pass of the waiting run (as after a tick): the abort is written while the step is judged.
    expect(await serve.engine.drive(run.id)).toEqual({ driven: true, state: "aborted" });
    expect(personActs).toBeUndefined();
    expect(ledger.entries).toEqual(["isolate", "undo-isolate"]);
  });

  it("on a failure that aborts the run: undoes the failed step too, then the always steps", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      undoable("a"),
      undoable("b", { onFailure: "abort" }, { fail: true }),
      alwaysRuns("proof"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    expect(h.ledger.entries).toEqual(["a", "undo-b", "undo-a", "proof"]);
  });

  it("observes an undo already in effect instead of running it again", async () => {
    const h = harness();
    h.ledger.entries.push("undo-a");
    const run = await h.createApprovedRun([
      undoable("a"),
      effect("b", { onFailure: "abort" }, { fail: true }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    expect(h.ledger.count("undo-a")).toBe(1);
    expect((await h.store.getSteps(run.id)).get("a")).toMatchObject({ undone: true });
    expect(await undoEvents(h, run.id)).toEqual([
      "a undo (test.undo): running",
      "a undo (test.undo): observed (undo-a is in the ledger)",
    ]);
  });

  it("records an undo that fails, goes on with the others, and the report shows both", async () => {
    const ledger = new Ledger();
    const h = harness({
      ledger,
      extraKinds: [
        undoStepKind(ledger, {
          before: (key) => {
            if (key === "undo-b") throw new Error("DR API refused the scale");
          },
        }),
      ],
    });
    const run = await h.createApprovedRun([
      undoable("a"),
      undoable("b"),
      effect("c", { onFailure: "abort" }, { fail: true }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    expect(ledger.entries).toEqual(["a", "b", "undo-a"]);
    const steps = await h.store.getSteps(run.id);
    expect(steps.get("b")?.undone).toBeUndefined();
    expect(steps.get("b")?.output).toContain("undo: failed (DR API refused the scale)");
    const report = buildRunReport({
      run: (await h.store.getRun(run.id))!,
      steps,
      events: await h.store.readEvents(run.id),
      now: Date.now(),
    });
    expect(report.steps.map((s) => [s.id, s.undone ?? false])).toEqual([
      ["a", true],
      ["b", false],
      ["c", false],
    ]);
    expect(report.timeline.filter((t) => t.type === "step.undo").map((t) => t.text)).toEqual([
      "b undo (test.undo): running",
      "b undo (test.undo): failed: DR API refused the scale",
      "a undo (test.undo): running",
      "a undo (test.undo): succeeded",
    ]);
  });

  it("undoes a step an operator skipped after an attempt of it had run: the attempt may have changed something", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      undoable("isolate"),
      undoable("scale-up", {}, { fail: true }),
      checklist("ready"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    await h.service.skip({ actor: APPROVER, runId: run.id, stepId: "scale-up", reason: "done by hand" });
    await h.waitForState(run.id, ["waiting_manual"]);
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["isolate", "undo-scale-up", "undo-isolate"]);
    expect((await h.store.getSteps(run.id)).get("scale-up")).toMatchObject({
      status: "skipped",
      attempts: 1,
      undone: true,
    });
  });

  it("does not undo a step skipped before any attempt of it started", async () => {
    const h = harness({ extraKinds: [decideKind] });
    const run = await h.createApprovedRun([
      { id: "decide", title: "Decide", kind: "test.decide", with: { answer: "no" } },
      undoable("isolate"),
      undoable("planned-only", { when: { step: "decide", is: "yes" } }),
      checklist("ready"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["isolate", "undo-isolate"]);
    const skipped = (await h.store.getSteps(run.id)).get("planned-only");
    expect(skipped).toMatchObject({ status: "skipped", resolvedBy: "condition", attempts: 0 });
    expect(skipped?.undone).toBeUndefined();
  });

  it("undoes a failed step that a resume set to run again, when the run is aborted before it does", async () => {
    const h = harness();
    const run = await h.createApprovedRun([undoable("isolate"), undoable("scale-up", {}, { fail: true })]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    const steps = await h.store.getSteps(run.id);
    // As a resume leaves it (src/domain/run-state/control.ts): to start again, its attempt counted.
    await h.store.putStep(
      run.id,
      { ...steps.get("scale-up")!, status: "not_started", error: undefined },
      { type: "step.state", at: Date.now(), actor: APPROVER, runId: run.id, stepId: "scale-up", data: {} },
    );
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["isolate", "undo-scale-up", "undo-isolate"]);
  });

  it("undoes nothing twice when a second executor carries on a compensation", async () => {
    const h = harness();
    const run = await h.createApprovedRun([undoable("a"), undoable("b"), checklist("wait")]);
    await h.engine.drive(run.id);
    // The first executor undid b and stopped (its process died): a carries on.
    const steps = await h.store.getSteps(run.id);
    await h.store.putStep(
      run.id,
      { ...steps.get("b")!, undone: true },
      {
        type: "step.undo",
        at: Date.now(),
        actor: "dead-owner",
        runId: run.id,
        stepId: "b",
        data: { undo: "succeeded", kind: "test.undo" },
      },
    );
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries).toEqual(["a", "b", "undo-a"]);
  });

  it("aborts at once a paused run with nothing to undo", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("a", {}, { fail: true })]);
    await h.engine.drive(run.id);
    expect((await h.service.abort({ actor: APPROVER, runId: run.id })).state).toBe("aborted");
  });
});

describe("undo clauses in a plan", () => {
  it("are refused when their kind is not idempotent: an undo may run after part of a step, and again", () => {
    const ledger = new Ledger();
    const catalog = createStepKindRegistry(ledgerStepKind(ledger), undoStepKind(ledger));
    const config = testConfig();
    const runbook = testRunbook({
      phases: [
        { name: "main", steps: [effect("a", { undo: { kind: "test.effect", with: { key: "undo-a" } } })] },
      ],
    });
    expect(() =>
      buildPlan({
        runbook,
        config,
        scope: resolveScope(config, ["payments"], "failover"),
        mode: "real",
        catalog,
      }),
    ).toThrow(/test\.effect with these parameters is not idempotent/);
  });
});
