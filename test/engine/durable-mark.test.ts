import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { REPLICA_ACK_MS } from "../../src/engine/durable-mark.js";
import type { ReplicationAnswer } from "../../src/ports/run-store.js";
import { effect, engineHarness } from "../support/engine-harness.js";

/**
 * A store whose replica answers as told. The real answers come from Redis's WAIT (tested against
 * a real master and replica in test/adapters/redis/redis-sentinel.int.test.ts); here, what the
 * engine does with each.
 */
class ReplicatedStore extends MemoryRunStore {
  answer: ReplicationAnswer = "replicated";
  readonly waits: number[] = [];
  override async awaitReplication(timeoutMs: number): Promise<ReplicationAnswer> {
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

  it("keeps the step from starting when Redis is deployed with a replica and none is connected, and the run pauses saying why", async () => {
    const store = new ReplicatedStore(now);
    store.answer = "replica_missing";
    const h = engineHarness({ store });
    const run = await h.createApprovedRun([
      effect("promote", { onFailure: "pause", retries: 1, retryDelay: "1ms" }),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect(h.ledger.entries).toEqual([]);
    expect(store.waits).toEqual([REPLICA_ACK_MS, REPLICA_ACK_MS]);
    const paused = (await store.getRun(run.id))!;
    expect(paused.stateReason).toContain(
      "promote failed: not started: Redis is deployed with a replica but none was connected",
    );
    expect(paused.stateReason).toContain("set redis.expectReplica: false");

    // The replica is back: a person resumes, the mark is confirmed, the step runs once.
    store.answer = "replicated";
    await h.service.resume({ actor: "U0A1", runId: run.id });
    await h.waitForState(run.id, ["completed"]);
    expect(h.ledger.entries).toEqual(["promote"]);
  });

  it("goes on without waiting when Redis has no replica to wait for (none is expected)", async () => {
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
