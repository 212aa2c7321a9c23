import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import type { StepRecord } from "../../src/domain/run.js";
import { lostStepWrites } from "../../src/engine/lost-step-writes.js";
import type { RunStore } from "../../src/ports/run-store.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";

const clock = { now: () => Date.now() };

/**
 * A store whose master fails over under the executor: the first time `stepId` is written as
 * succeeded, the write is acknowledged and never kept, as a write the old master acknowledged and
 * did not replicate before Sentinel promoted its replica.
 */
function losingStore(store: RunStore, stepId: string): RunStore {
  let lost = false;
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name === "putStep")
        return async (...args: Parameters<RunStore["putStep"]>) => {
          const [, record] = args;
          if (!lost && record.id === stepId && record.status === "succeeded") {
            lost = true;
            return;
          }
          return target.putStep(...args);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function record(status: StepRecord["status"], attempts: number): StepRecord {
  return { id: "a", status, attempts };
}

describe("step records a Redis failover lost", () => {
  it("are what this executor wrote that the store shows at an earlier point of the same step", () => {
    const written = new Map([["a", record("succeeded", 1)]]);
    expect(lostStepWrites(new Map([["a", record("running", 1)]]), written)).toEqual([record("succeeded", 1)]);
    expect(lostStepWrites(new Map([["a", record("not_started", 0)]]), written)).toEqual([
      record("succeeded", 1),
    ]);
    expect(lostStepWrites(new Map(), written)).toEqual([record("succeeded", 1)]);
  });

  it("leave alone what is as written, a later attempt, and what a person finished meanwhile", () => {
    const written = new Map([["a", record("failed", 1)]]);
    expect(lostStepWrites(new Map([["a", record("failed", 1)]]), written)).toEqual([]);
    expect(lostStepWrites(new Map([["a", record("running", 2)]]), written)).toEqual([]);
    expect(lostStepWrites(new Map([["a", record("skipped", 1)]]), written)).toEqual([]);
  });

  it("are written again, so a run whose every step took effect completes instead of pausing, each effect once", async () => {
    const memory = new MemoryRunStore(clock);
    const ledger = new Ledger();
    const h = engineHarness({ store: losingStore(memory, "b"), ledger });
    const run = await h.createApprovedRun([effect("a"), effect("b"), effect("c")]);

    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["a", "b", "c"]);
    expect((await memory.getSteps(run.id)).get("b")).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(h.log.lines.find((l) => l.context.operation === "engine.lost-step-write")?.context).toMatchObject({
      runId: run.id,
      stepId: "b",
      stored: "running (attempt 1)",
      written: "succeeded (attempt 1)",
    });
  });
});
