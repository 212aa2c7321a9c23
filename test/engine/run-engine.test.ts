import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import {
  createStrandedRun,
  effect,
  engineHarness,
  Ledger,
  ledgerStepKind,
} from "../support/engine-harness.js";

const systemClock = { now: () => Date.now() };

function harness(extra: Parameters<typeof engineHarness>[0] extends infer O ? Partial<O> : never = {}) {
  return engineHarness({ store: new MemoryRunStore(systemClock), ...extra });
}

describe("RunEngine", () => {
  it("runs every step once, in order, and completes with RTO times recorded", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("a"), effect("b"), effect("c")]);
    const outcome = await h.engine.drive(run.id);
    expect(outcome).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["a", "b", "c"]);
    const done = (await h.store.getRun(run.id))!;
    expect(done.rto.activationStartedAt).toBeDefined();
    expect(done.rto.validationEndedAt).toBeDefined();
    const steps = await h.store.getSteps(run.id);
    expect([...steps.values()].map((s) => [s.id, s.status, s.attempts])).toEqual([
      ["a", "succeeded", 1],
      ["b", "succeeded", 1],
      ["c", "succeeded", 1],
    ]);
    expect(await h.store.leaseHolder(run.id)).toBeUndefined();
  });

  it("persists each transition before announcing it", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("a")]);
    await h.engine.drive(run.id);
    const seen = h.observer.events.filter((e) => e.type === "step.state").map((e) => `${e.data.status}`);
    const stored = await h.store.readEvents(run.id);
    const storedStepStates = stored.filter((e) => e.type === "step.state").map((e) => `${e.data.status}`);
    expect(seen).toEqual(storedStepStates);
    expect(storedStepStates).toEqual(["running", "succeeded"]);
  });

  it("runs grouped steps in parallel up to the group's limit", async () => {
    const h = harness();
    const steps = Array.from({ length: 8 }, (_, i) =>
      effect(`p${i}`, { group: "fan", concurrency: 3 }, { holdMs: 30 }),
    );
    const run = await h.createApprovedRun([effect("first"), ...steps, effect("last")]);
    await h.engine.drive(run.id);
    expect(h.ledger.maxRunning).toBe(3);
    expect(h.ledger.entries[0]).toBe("first");
    expect(h.ledger.entries.at(-1)).toBe("last");
    expect(h.ledger.entries).toHaveLength(10);
  });

  it("pauses on a failed step, and a resume by an approver runs it again and finishes", async () => {
    const ledger = new Ledger();
    let failures = 1;
    const kind = ledgerStepKind(ledger, {
      before: (key) => {
        if (key === "flaky" && failures-- > 0) throw new Error("DC2 API said no");
      },
    });
    const h = harness({ ledger, extraKinds: [kind] });
    const run = await h.createApprovedRun([effect("a"), effect("flaky"), effect("b")]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect((await h.store.getSteps(run.id)).get("flaky")).toMatchObject({
      status: "failed",
      error: "DC2 API said no",
    });
    expect(ledger.entries).toEqual(["a"]);
    await expect(h.service.resume({ actor: "U0ONCALL", runId: run.id })).rejects.toMatchObject({
      code: "self_approval",
    });
    await h.service.resume({ actor: "U0A1", runId: run.id });
    const done = await h.waitForState(run.id, ["completed"]);
    expect(done.decisions.map((d) => [d.userId, d.decision])).toEqual([["U0A1", "resumed"]]);
    expect(ledger.entries).toEqual(["a", "flaky", "b"]);
  });

  it("goes on past a step allowed to fail and ends with exceptions", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      effect("a", { onFailure: "continue" }, { fail: true }),
      effect("b"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed_with_exceptions" });
    expect(h.ledger.entries).toEqual(["b"]);
  });

  it("retries a failing step before giving up, counting attempts", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("a", { retries: 2, retryDelay: "10ms" }, { fail: true })]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect((await h.store.getSteps(run.id)).get("a")).toMatchObject({ status: "failed", attempts: 3 });
  });

  it("times a step out at its deadline", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("slow", { timeout: "100ms" }, { holdMs: 60_000 })]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect((await h.store.getSteps(run.id)).get("slow")).toMatchObject({ status: "timed_out" });
  });

  it("on a failure that aborts, undoes what succeeded, newest first", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      effect("a", { undo: { kind: "test.undo", with: { key: "undo-a" } } }),
      effect("b", { undo: { kind: "test.undo", with: { key: "undo-b" } } }),
      effect("c", { onFailure: "abort" }, { fail: true }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "failed" });
    expect(h.ledger.entries).toEqual(["a", "b", "undo-b", "undo-a"]);
    expect((await h.store.getSteps(run.id)).get("a")).toMatchObject({ undone: true });
  });

  it("waits for a checklist, and continues when a person has ticked every item", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      {
        id: "check",
        title: "Checklist",
        kind: "checklist",
        with: { items: ["Stakeholders notified", "DR ready"] },
      },
      effect("after"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    await h.service.tick({ actor: "U0A1", runId: run.id, stepId: "check", item: "Stakeholders notified" });
    expect((await h.store.getRun(run.id))!.state).toBe("waiting_manual");
    await h.service.tick({ actor: "U0A2", runId: run.id, stepId: "check", item: "DR ready" });
    const done = await h.waitForState(run.id, ["completed"]);
    expect(done.state).toBe("completed");
    const check = (await h.store.getSteps(run.id)).get("check")!;
    expect(check.attestations?.map((a) => [a.item, a.userId])).toEqual([
      ["Stakeholders notified", "U0A1"],
      ["DR ready", "U0A2"],
    ]);
    expect(check.output).toContain("✓ DR ready: U0A2");
    expect(h.ledger.entries).toEqual(["after"]);
  });

  it("judges a checklist again instead of waiting when a person ticks it while the run decides to wait", async () => {
    // The person's tick lands between the engine's reading and its write of waiting_manual: the write
    // loses the compare-and-set, and the same pass reads the run again and goes on.
    let tickFirst: (() => Promise<unknown>) | undefined;
    class TickingStore extends MemoryRunStore {
      override async updateRun(...args: Parameters<MemoryRunStore["updateRun"]>): Promise<boolean> {
        const tick = tickFirst;
        if (tick && args[0].state === "waiting_manual") {
          tickFirst = undefined;
          await tick();
        }
        return super.updateRun(...args);
      }
    }
    const h = harness({ store: new TickingStore(systemClock) });
    const run = await h.createApprovedRun([
      { id: "check", title: "Checklist", kind: "checklist", with: { items: ["DR ready"] } },
      effect("after"),
    ]);
    tickFirst = () => h.service.tick({ actor: "U0A1", runId: run.id, stepId: "check", item: "DR ready" });
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(tickFirst).toBeUndefined();
    expect(h.observer.states()).not.toContain("waiting_manual");
    expect((await h.store.getSteps(run.id)).get("check")).toMatchObject({ status: "succeeded" });
    expect(h.ledger.entries).toEqual(["after"]);
  });

  it("stops quickly when an operator aborts mid-step", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("long", {}, { holdMs: 60_000 }), effect("never")]);
    const driving = h.engine.drive(run.id);
    await h.waitForState(run.id, ["running"]);
    await h.service.abort({ actor: "U0A1", runId: run.id, note: "wrong scope" });
    expect(await driving).toEqual({ driven: true, state: "aborted" });
    expect((await h.store.getRun(run.id))!.stateReason).toContain("wrong scope");
    expect((await h.store.getSteps(run.id)).get("long")).toMatchObject({ status: "failed" });
    expect(h.ledger.entries).toEqual([]);
  });

  describe("after a takeover", () => {
    it("marks a step whose effect already holds as done, without repeating it", async () => {
      const h = harness();
      const run = await createStrandedRun(h, [effect("a"), effect("b")], ["a"]);
      h.ledger.entries.push("a"); // the dead owner did it just before dying
      expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
      expect(h.ledger.count("a")).toBe(1);
      expect((await h.store.getSteps(run.id)).get("a")).toMatchObject({
        status: "succeeded",
        resolvedBy: "observed",
      });
      expect(h.observer.states()).toContain("running");
      expect((await h.store.readEvents(run.id)).some((e) => e.type === "run.takeover")).toBe(true);
    });

    it("runs a step again when its effect does not hold", async () => {
      const h = harness();
      const run = await createStrandedRun(h, [effect("a")], ["a"]);
      expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
      expect(h.ledger.count("a")).toBe(1);
      expect((await h.store.getSteps(run.id)).get("a")).toMatchObject({ status: "succeeded", attempts: 2 });
    });

    it("pauses for a person when a non-idempotent step cannot be observed", async () => {
      const h = harness();
      const run = await createStrandedRun(
        h,
        [
          {
            id: "s",
            title: "Shell",
            kind: "shell",
            with: { command: "rsync", args: ["-a", "/data", "dr:/data"] },
          },
        ],
        ["s"],
      );
      expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
      expect((await h.store.getSteps(run.id)).get("s")!.error).toMatch(/whether it took effect is unknown/);
    });
  });

  it("does not execute a run another live process holds", async () => {
    const store = new MemoryRunStore(systemClock);
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([effect("a")]);
    await store.claimLease(run.id, "someone-else", 60_000);
    expect(await h.engine.drive(run.id)).toMatchObject({ driven: false, reason: "held" });
    expect(h.ledger.entries).toEqual([]);
  });

  it("stops writing the moment its lease is taken away", async () => {
    const store = new MemoryRunStore(systemClock);
    const h = engineHarness({ store, leaseTtlMs: 150 });
    const run = await h.createApprovedRun([effect("slow", {}, { holdMs: 60_000 }), effect("never")]);
    const driving = h.engine.drive(run.id);
    await h.waitForState(run.id, ["running"]);
    const holder = (await store.leaseHolder(run.id))!;
    await store.releaseLease(run.id, holder);
    await store.claimLease(run.id, "thief", 60_000);
    expect(await driving).toMatchObject({ driven: false, reason: "lost_lease" });
    expect(h.ledger.entries).toEqual([]);
    expect((await store.getSteps(run.id)).get("never")).toMatchObject({ status: "not_started" });
  });
});
