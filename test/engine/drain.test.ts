import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { defineStepKind } from "../../src/engine/step-kind.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

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
  it("hands over a step waiting to retry at once, not started: the next executor makes its next attempt, nothing to re-observe", async () => {
    const store = new MemoryRunStore(clock);
    const attempts: string[] = [];
    // Fails its first attempt, then succeeds; cannot be observed, so a takeover of it "running" would pause.
    const flaky = (owner: string) =>
      defineStepKind({
        kind: "test.flaky",
        description: "Fails its first attempt.",
        params: z.object({}).strict(),
        siteParams: [],
        idempotent: false,
        summarize: () => "flaky",
        async execute() {
          attempts.push(owner);
          return attempts.length === 1
            ? { status: "failed", error: "the API answered 503" }
            : { status: "succeeded", output: "done" };
        },
      });
    const leaving = engineHarness({ store, ownerId: "leaving", extraKinds: [flaky("leaving")] });
    const next = engineHarness({ store, ownerId: "next", extraKinds: [flaky("next")] });
    const run = await leaving.createApprovedRun([
      {
        id: "flaky",
        title: "Flaky",
        kind: "test.flaky",
        with: {},
        retries: 2,
        retryDelay: "10m",
        onFailure: "pause",
      },
      effect("later", { needs: ["flaky"] }),
    ]);
    const driving = leaving.engine.drive(run.id);
    await waitFor(
      async () => (await store.getSteps(run.id)).get("flaky")?.error?.includes("retrying") === true,
      {
        description: "the first attempt to fail and the retry to wait",
      },
    );
    await leaving.engine.drain(30_000);

    expect(await driving).toEqual({ driven: false, reason: "draining", state: "running" });
    expect((await store.getSteps(run.id)).get("flaky")).toMatchObject({
      status: "not_started",
      attempts: 1,
      error: "attempt 1 failed: the API answered 503; retrying by the next executor",
    });
    expect(await next.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(attempts).toEqual(["leaving", "next"]);
    expect((await store.getSteps(run.id)).get("flaky")).toMatchObject({ status: "succeeded", attempts: 2 });
    const states = [...leaving.observer.states(), ...next.observer.states()];
    expect(states.filter((s) => s.startsWith("paused") || s === "interrupted")).toEqual([]);
    expect(next.observer.events.filter((e) => e.type === "step.observed")).toEqual([]);
  });
});
