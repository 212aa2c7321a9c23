import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { DrError } from "../../src/domain/errors.js";
import { effect, engineHarness, Ledger, ledgerStepKind } from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

const clock = { now: () => Date.now() };

/** A store that answers "unavailable" to everything while `down`, as Redis does while unreachable. */
function storeThatGoesDown() {
  const store = new MemoryRunStore(clock);
  const state = { down: false };
  const view = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (state.down)
          return Promise.reject(new DrError("unavailable", `Redis did not answer (${String(name)})`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: view, state };
}

describe("a run's lease while Redis is unavailable", () => {
  it("is lost once Redis stays unavailable past its hold: the run is left as it stands for the next owner, never failed for an engine error", async () => {
    const { store, state } = storeThatGoesDown();
    const ledger = new Ledger();
    const kind = ledgerStepKind(ledger, {
      before: () => {
        state.down = true;
      },
    });
    const cut = engineHarness({ store, ledger, extraKinds: [kind], leaseTtlMs: 1_000, ownerId: "cut" });
    const run = await cut.createApprovedRun([effect("promote", {}, { holdMs: 100 }), effect("switch")]);

    expect(await cut.engine.drive(run.id)).toEqual({ driven: false, reason: "lost_lease" });
    state.down = false;
    expect((await store.getRun(run.id))!.state).toBe("running");
    expect((await store.getSteps(run.id)).get("promote")!.status).toBe("running");
    expect(cut.log.lines.filter((l) => JSON.stringify(l).includes("engine error"))).toEqual([]);

    await waitFor(async () => (await store.leaseHolder(run.id)) === undefined, {
      description: "the lease to lapse in the store",
    });
    const next = engineHarness({ store, ledger, ownerId: "next" });
    expect(await next.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["promote", "switch"]);
  });
});
