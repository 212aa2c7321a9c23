import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { buildRunReport, describeEvent } from "../../src/domain/run-report.js";
import { effect, engineHarness, undoable } from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The failover's planned path in miniature: the primary's batch jobs, backups and writes stop
 * (each with an undo whose point of no return is `promote`), DR catches up, DR is promoted. A run
 * that ends before `promote` starts gives everything back, newest first; once any attempt of
 * `promote` started, those undos never run, and the report says what was kept and why.
 */
const clock = { now: () => Date.now() };
const APPROVER = "U0A1";

function harness() {
  return engineHarness({ store: new MemoryRunStore(clock) });
}

/** An effect whose undo stops at `promote`. */
const beforePromotion = (id: string) =>
  undoable(id, { undo: { kind: "test.undo", with: { key: `undo-${id}` }, until: "promote" } });

const planned = (catchUp: Record<string, unknown>, promote: Record<string, unknown> = {}) => [
  undoable("isolate-dr"),
  beforePromotion("suspend-cronjobs"),
  beforePromotion("backups-read-only"),
  beforePromotion("stop-writes"),
  effect("catch-up", { onFailure: "abort" }, catchUp),
  effect("promote", { onFailure: "abort" }, promote),
];

async function undoEvents(h: ReturnType<typeof harness>, runId: string) {
  return (await h.store.readEvents(runId)).filter((e) => e.type === "step.undo").map(describeEvent);
}

async function report(h: ReturnType<typeof harness>, runId: string) {
  const run = (await h.store.getRun(runId))!;
  return buildRunReport({
    run,
    steps: await h.store.getSteps(runId),
    events: await h.store.readEvents(runId),
    now: Date.now(),
  });
}

describe("a run stopped before its point of no return", () => {
  it("that fails catching up: ends failed with every step before the promotion undone, newest first", async () => {
    const h = harness();
    const run = await h.createApprovedRun(planned({ fail: true }));
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    expect(h.ledger.entries).toEqual([
      "isolate-dr",
      "suspend-cronjobs",
      "backups-read-only",
      "stop-writes",
      "undo-stop-writes",
      "undo-backups-read-only",
      "undo-suspend-cronjobs",
      "undo-isolate-dr",
    ]);
    const steps = await h.store.getSteps(run.id);
    for (const id of ["suspend-cronjobs", "backups-read-only", "stop-writes"])
      expect(steps.get(id), id).toMatchObject({ status: "succeeded", undone: true });
    expect(steps.get("promote")).toMatchObject({ status: "not_started", attempts: 0 });
    expect((await report(h, run.id)).notUndone).toEqual([]);
  });

  it("aborted by an operator while it catches up: ends aborted with the same undone, newest first", async () => {
    const h = harness();
    const run = await h.createApprovedRun(planned({ holdMs: 60_000 }));
    const driving = h.engine.drive(run.id);
    await waitFor(async () => (await h.store.getSteps(run.id)).get("catch-up")?.status === "running", {
      description: "catch-up to be running",
    });
    await h.service.abort({ actor: APPROVER, runId: run.id, note: "replication is broken" });
    expect(await driving).toEqual({ driven: true, state: "aborted" });
    expect(h.ledger.entries.filter((e) => e.startsWith("undo-"))).toEqual([
      "undo-stop-writes",
      "undo-backups-read-only",
      "undo-suspend-cronjobs",
      "undo-isolate-dr",
    ]);
  });
});

describe("a run stopped once its point of no return started", () => {
  it("that fails promoting: never takes those steps back, says why, and still undoes what has no point of no return", async () => {
    const h = harness();
    const run = await h.createApprovedRun(planned({}, { fail: true }));
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    // The promotion's attempt failed: it may have got half-way, so the primary's writes stay off.
    expect(h.ledger.entries).toEqual([
      "isolate-dr",
      "suspend-cronjobs",
      "backups-read-only",
      "stop-writes",
      "catch-up",
      "undo-isolate-dr",
    ]);
    const steps = await h.store.getSteps(run.id);
    expect(steps.get("stop-writes")).toMatchObject({ status: "succeeded", undoWithheld: true });
    expect(steps.get("stop-writes")?.undone).toBeUndefined();
    expect(steps.get("stop-writes")?.output).toContain(
      "undo: withheld (kept: promote (Effect promote) has started, and this step is not taken back past it)",
    );
    expect(await undoEvents(h, run.id)).toEqual([
      "stop-writes undo (test.undo): withheld (kept: promote (Effect promote) has started, and this step is not taken back past it)",
      "backups-read-only undo (test.undo): withheld (kept: promote (Effect promote) has started, and this step is not taken back past it)",
      "suspend-cronjobs undo (test.undo): withheld (kept: promote (Effect promote) has started, and this step is not taken back past it)",
      "isolate-dr undo (test.undo): running",
      "isolate-dr undo (test.undo): succeeded",
    ]);
    const summary = await report(h, run.id);
    expect(summary.notUndone.map((k) => k.stepId)).toEqual([
      "suspend-cronjobs",
      "backups-read-only",
      "stop-writes",
    ]);
    expect(summary.outcome).toContain(
      "NOT undone, past the point of no return: Effect suspend-cronjobs (promote had started), Effect backups-read-only (promote had started), Effect stop-writes (promote had started)",
    );
  });

  it("aborted by an operator while the promotion runs: never takes those steps back either", async () => {
    const h = harness();
    const run = await h.createApprovedRun(planned({}, { holdMs: 60_000 }));
    const driving = h.engine.drive(run.id);
    await waitFor(async () => (await h.store.getSteps(run.id)).get("promote")?.status === "running", {
      description: "promote to be running",
    });
    await h.service.abort({ actor: APPROVER, runId: run.id });
    expect(await driving).toEqual({ driven: true, state: "aborted" });
    expect(h.ledger.entries.filter((e) => e.startsWith("undo-"))).toEqual(["undo-isolate-dr"]);
    const steps = await h.store.getSteps(run.id);
    for (const id of ["suspend-cronjobs", "backups-read-only", "stop-writes"])
      expect(steps.get(id), id).toMatchObject({ undoWithheld: true });
  });
});

/**
 * The reviewer's scenario: DR cannot catch up, the run pauses, and someone tries to go on without
 * the promotion (skip it and the catch-up, let DNS switch), then aborts. Skipping the point of no
 * return is refused; and a run that went past it all the same (a skip recorded by a drbot that
 * allowed it) keeps the primary stopped, since DR serves.
 */
const pausingAtCatchUp = () => [
  ...planned({ fail: true }).map((s) => (s.id === "catch-up" ? { ...s, onFailure: "pause" } : s)),
  effect("dns-switch"),
  effect("wait-ttl", {}, { holdMs: 60_000 }),
];

async function pausedAtCatchUp(h: ReturnType<typeof harness>) {
  const run = await h.createApprovedRun(pausingAtCatchUp());
  expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
  return run;
}

describe("an operator going past the point of no return without it", () => {
  it("is refused a skip of the promotion that has not started, told to abort instead, audited, and nothing changes", async () => {
    const h = harness();
    const run = await pausedAtCatchUp(h);
    const before = (await h.store.getRun(run.id))!;
    await expect(
      h.service.skip({ actor: APPROVER, runId: run.id, stepId: "promote", reason: "DR is fine" }),
    ).rejects.toThrow(
      "promote is promote, the point of no return of the undo of suspend-cronjobs, backups-read-only, stop-writes, and has not started: skipping it would keep what those steps did with promote never run. Abort the run instead (their undo gives it back), or resume it",
    );
    const after = (await h.store.getRun(run.id))!;
    expect(after).toMatchObject({ state: "paused_failed_step", version: before.version });
    expect((await h.store.getSteps(run.id)).get("promote")).toMatchObject({
      status: "not_started",
      attempts: 0,
    });
    // Recorded in the run's trail, the approver having a role on it.
    expect(
      (await h.store.readEvents(run.id)).filter((e) => e.type === "run.refusal").map((e) => e.actor),
    ).toEqual([APPROVER]);
    // Nor a later step, which would take the run past the promotion just the same.
    await expect(
      h.service.skip({ actor: APPROVER, runId: run.id, stepId: "dns-switch", reason: "later" }),
    ).rejects.toThrow("dns-switch comes at or after promote, the point of no return");
    // The abort it is told to make gives the primary everything back.
    await h.service.abort({ actor: APPROVER, runId: run.id, note: "replication is broken" });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries.filter((e) => e.startsWith("undo-"))).toEqual([
      "undo-stop-writes",
      "undo-backups-read-only",
      "undo-suspend-cronjobs",
      "undo-isolate-dr",
    ]);
  });

  it("a run whose promotion was skipped by an operator, then DNS switched, and then aborted: ends without the undo", async () => {
    const h = harness();
    const run = await pausedAtCatchUp(h);
    // As a drbot that let the skip through recorded it.
    const promote = (await h.store.getSteps(run.id)).get("promote")!;
    const at = Date.now();
    await h.store.putStep(
      run.id,
      {
        ...promote,
        status: "skipped",
        endedAt: at,
        resolvedBy: "operator",
        skipped: { by: APPROVER, at, reason: "DR is fine" },
      },
      {
        type: "step.state",
        at,
        actor: APPROVER,
        runId: run.id,
        stepId: "promote",
        data: { status: "skipped" },
      },
    );
    await h.service.skip({ actor: APPROVER, runId: run.id, stepId: "catch-up", reason: "lag is fine" });
    await waitFor(async () => (await h.store.getSteps(run.id)).get("wait-ttl")?.status === "running", {
      description: "wait-ttl to be running, after dns-switch",
    });
    expect(h.ledger.entries).toContain("dns-switch");
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries.filter((e) => e.startsWith("undo-"))).toEqual(["undo-isolate-dr"]);
    const steps = await h.store.getSteps(run.id);
    for (const id of ["suspend-cronjobs", "backups-read-only", "stop-writes"])
      expect(steps.get(id), id).toMatchObject({ undoWithheld: true });
    expect(steps.get("stop-writes")?.output).toContain(
      "undo: withheld (kept: promote (Effect promote) was skipped by an operator, at or past promote (Effect promote), and this step is not taken back past it)",
    );
  });

  it("a run where only a step after the promotion started (its promotion's record lost): still keeps the primary stopped", async () => {
    const h = harness();
    const run = await pausedAtCatchUp(h);
    const dns = (await h.store.getSteps(run.id)).get("dns-switch")!;
    const at = Date.now();
    await h.store.putStep(
      run.id,
      { ...dns, status: "succeeded", attempts: 1, startedAt: at, endedAt: at, resolvedBy: "executed" },
      { type: "step.state", at, actor: "drbot", runId: run.id, stepId: "dns-switch", data: {} },
    );
    await h.service.abort({ actor: APPROVER, runId: run.id });
    await h.waitForState(run.id, ["aborted"]);
    expect(h.ledger.entries.filter((e) => e.startsWith("undo-"))).toEqual(["undo-isolate-dr"]);
    expect((await h.store.getSteps(run.id)).get("stop-writes")?.output).toContain(
      "kept: dns-switch (Effect dns-switch) was started, at or past promote",
    );
  });
});
