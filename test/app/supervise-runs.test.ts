import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { passRequestKey } from "../../src/app/run-driver.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { waitFor } from "../support/wait-for.js";

const clock = { now: () => Date.now() };

describe("the supervisor and a run parked for a person", () => {
  it("judges a tick that reached a draining replica: the run goes on from another one", async () => {
    const store = new MemoryRunStore(clock);
    const ledger = new Ledger();
    const draining = engineHarness({ store, ledger, ownerId: "draining" });
    const staying = engineHarness({ store, ledger, ownerId: "staying" });
    const run = await staying.createApprovedRun([
      { id: "check", title: "Checklist", kind: "checklist", with: { items: ["DC1 is powered off"] } },
      effect("after"),
    ]);
    expect(await staying.engine.drive(run.id)).toEqual({ driven: true, state: "waiting_manual" });
    // Parked for a person: the supervisor leaves it alone.
    expect(await staying.service.supervise()).toEqual({ expired: [], driven: [] });

    await draining.engine.drain(1_000);
    await draining.service.tick({
      actor: "U0A1",
      runId: run.id,
      stepId: "check",
      item: "DC1 is powered off",
    });
    await waitFor(async () => (await store.kvGet(passRequestKey(run.id))) !== undefined, {
      description: "the draining replica to ask the others for a pass",
    });
    expect((await store.getRun(run.id))!.state).toBe("waiting_manual");
    expect(ledger.entries).toEqual([]);

    expect(await staying.service.supervise()).toEqual({ expired: [], driven: [run.id] });
    await staying.waitForState(run.id, ["completed"]);
    expect(ledger.entries).toEqual(["after"]);
    expect(await store.kvGet(passRequestKey(run.id))).toBeUndefined();
    expect(await staying.service.supervise()).toEqual({ expired: [], driven: [] });
  });
});
