import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { REPLICA_ACK_MS } from "../../src/engine/durable-mark.js";
import { effect, engineHarness } from "../support/engine-harness.js";

/**
 * A store whose replica answers as told. The real answers come from Redis's WAIT (tested against
 * a real master and replica in test/adapters/redis/redis-sentinel.int.test.ts); here, what the
 * engine does with each.
 */
class ReplicatedStore extends MemoryRunStore {
  answer: "replicated" | "not_replicated" | "no_replica" = "replicated";
  readonly waits: number[] = [];
  override async awaitReplication(
    timeoutMs: number,
  ): Promise<"replicated" | "not_replicated" | "no_replica"> {
    this.waits.push(timeoutMs);
    return this.answer;
  }
}

const now = { now: () => Date.now() };

describe("the running mark of a step that cannot be repeated", () => {
  it("is confirmed by a replica before the step starts", async () => {
    const store = new ReplicatedStore(now);
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([effect("promote")]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["promote"]);
    expect(store.waits).toEqual([REPLICA_ACK_MS]);
  });

  it("keeps the step from starting when the replica does not confirm it, and the run pauses saying why", async () => {
    const store = new ReplicatedStore(now);
    store.answer = "not_replicated";
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([effect("promote", { onFailure: "pause" })]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect(h.ledger.entries).toEqual([]);
    expect((await store.getSteps(run.id)).get("promote")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^not started: Redis's replica did not confirm the step's running mark/),
    });
  });

  it("goes on without waiting when Redis has no replica to wait for", async () => {
    const store = new ReplicatedStore(now);
    store.answer = "no_replica";
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([effect("promote")]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["promote"]);
  });

  it("is not waited for before a step that may be repeated", async () => {
    const store = new ReplicatedStore(now);
    store.answer = "not_replicated";
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([
      { id: "wait", title: "Wait", kind: "wait", with: { duration: "1ms" } },
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(store.waits).toEqual([]);
  });
});
