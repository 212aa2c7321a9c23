import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";

const clock = { now: () => Date.now() };

describe("an engine draining on SIGTERM", () => {
  it("lets the step in flight finish, starts none, hands the run over, and the next executor completes it without pausing", async () => {
    const store = new MemoryRunStore(clock);
    const ledger = new Ledger();
    const leaving = engineHarness({ store, ledger, ownerId: "leaving" });
    const next = engineHarness({ store, ledger, ownerId: "next" });
    const run = await leaving.createApprovedRun([
      effect("in-flight", {}, { holdMs: 300 }),
      effect("later", { needs: ["in-flight"] }),
    ]);
    const driving = leaving.engine.drive(run.id);
    await leaving.waitForState(run.id, ["running"]);
    await leaving.engine.drain(30_000);

    expect(await driving).toEqual({ driven: false, reason: "draining", state: "running" });
    expect(ledger.entries).toEqual(["in-flight"]);
    expect(await store.leaseHolder(run.id)).toBeUndefined();
    expect(await leaving.engine.drive(run.id)).toEqual({ driven: false, reason: "draining" });

    expect(await next.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["in-flight", "later"]);
    const states = [...leaving.observer.states(), ...next.observer.states()];
    expect(states.filter((s) => s.startsWith("paused"))).toEqual([]);
  });

  it("stops a step still running after the grace period, and the next executor re-observes it and does it once", async () => {
    const store = new MemoryRunStore(clock);
    const ledger = new Ledger();
    const leaving = engineHarness({ store, ledger, ownerId: "leaving" });
    const next = engineHarness({ store, ledger, ownerId: "next" });
    const run = await leaving.createApprovedRun([effect("slow", {}, { holdMs: 1_500 })]);
    const driving = leaving.engine.drive(run.id);
    await leaving.waitForState(run.id, ["running"]);
    await leaving.engine.drain(100);

    expect(await driving).toMatchObject({ driven: false });
    expect(ledger.entries).toEqual([]);
    expect((await store.getSteps(run.id)).get("slow")).toMatchObject({ status: "running" });
    expect(await next.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["slow"]);
    expect(next.observer.events.some((e) => e.type === "step.observed" && e.stepId === "slow")).toBe(true);
  });
});
