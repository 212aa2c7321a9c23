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
