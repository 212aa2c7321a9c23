import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import type { RunEvent, RunRecord, StepRecord } from "../../src/domain/run.js";
import type { RunStore } from "../../src/ports/run-store.js";
import { waitFor } from "../support/wait-for.js";

export interface StoreFixture {
  store: RunStore;
  /** Lets `ms` pass for TTLs: the fake clock moves, or real time is waited out on a condition. */
  elapse(ms: number, until: () => Promise<boolean>): Promise<void>;
}

let counter = 0;
export function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  const id = overrides.id ?? `failover-contract-${process.pid}-${++counter}`;
  const scope = { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" };
  return {
    id,
    kind: "failover",
    mode: "real",
    runbook: "failover",
    scopeKey: "k",
    scope,
    plan: {
      runbook: "failover",
      runbookTitle: "F",
      kind: "failover",
      mode: "real",
      scope,
      steps: [],
      pins: {},
      hash: "h1",
    },
    state: "pending_approval",
    requestedBy: "U0ONCALL",
    reason: "r",
    source: "cli",
    requiredApprovals: 2,
    approvals: [],
    decisions: [],
    expiresAt: 0,
    createdAt: Date.now() + counter,
    updatedAt: 0,
    rto: { requestedAt: 0 },
    tierRtoMs: 1,
    tierRpoMs: 1,
    version: 1,
    annotations: {},
    ...overrides,
  };
}

const event = (
  runId: string,
  type: RunEvent["type"] = "run.note",
  data: Record<string, unknown> = {},
): RunEvent => ({ type, at: Date.now(), actor: "test", runId, data });
const step = (id: string, status: StepRecord["status"] = "not_started"): StepRecord => ({
  id,
  status,
  attempts: 0,
});

/** One contract, two stores: the in-memory store must behave exactly like the Redis one. */
export function describeRunStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name} run store`, () => {
    it("creates and reads back a run with its steps, and refuses a second run with the same id", async () => {
      const { store } = await open();
      const run = runRecord();
      await store.createRun(run, [step("a"), step("b")], event(run.id, "run.requested"));
      expect(await store.getRun(run.id)).toEqual(run);
      expect([...(await store.getSteps(run.id)).keys()].sort()).toEqual(["a", "b"]);
      await expect(store.createRun(run, [], event(run.id))).rejects.toMatchObject({ code: "conflict" });
      expect(await store.getRun("nope")).toBeUndefined();
    });

    it("writes with compare-and-set and refuses a stale version", async () => {
      const { store } = await open();
      const run = runRecord();
      await store.createRun(run, [], event(run.id));
      expect(await store.updateRun({ ...run, reason: "second", version: 2 }, 1, event(run.id))).toBe(true);
      expect(await store.updateRun({ ...run, reason: "stale", version: 2 }, 1)).toBe(false);
      expect((await store.getRun(run.id))?.reason).toBe("second");
    });

    it("loses no update when 20 writers race with retries", async () => {
      const { store } = await open();
      const run = runRecord();
      await store.createRun(run, [], event(run.id));
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          for (;;) {
            const current = (await store.getRun(run.id))!;
            const next = {
              ...current,
              approvals: [...current.approvals, { userId: `U${i}`, at: i, planHash: "h1" }],
              version: current.version + 1,
            };
            if (await store.updateRun(next, current.version)) return;
          }
        }),
      );
      const final = (await store.getRun(run.id))!;
      expect(final.approvals).toHaveLength(20);
      expect(final.version).toBe(21);
    });

    it("fences executor writes by the lease token", async () => {
      const { store, elapse } = await open();
      const run = runRecord({ state: "running" });
      await store.createRun(run, [step("a")], event(run.id));
      const first = await store.claimLease(run.id, "owner-1", 200);
      if (!first.ok) throw new Error("first claim refused");
      await store.putStep(run.id, step("a", "running"), event(run.id), first.token);
      expect(await store.claimLease(run.id, "owner-2", 200)).toMatchObject({
        ok: false,
        heldBy: first.token,
      });
      await elapse(250, async () => (await store.leaseHolder(run.id)) === undefined);
      await expect(
        store.putStep(run.id, step("a", "succeeded"), event(run.id), first.token),
      ).rejects.toMatchObject({ code: "lost_lease" });
      const second = await store.claimLease(run.id, "owner-2", 10_000);
      if (!second.ok) throw new Error("second claim refused");
      expect(second.fence).toBeGreaterThan(first.fence);
      expect(second.takeover).toBe(true);
      await expect(store.updateRun({ ...run, version: 2 }, 1, undefined, first.token)).rejects.toBeInstanceOf(
        DrError,
      );
      expect(await store.updateRun({ ...run, version: 2 }, 1, undefined, second.token)).toBe(true);
      expect(await store.renewLease(run.id, first.token, 1000)).toBe(false);
      await store.releaseLease(run.id, first.token);
      expect(await store.leaseHolder(run.id)).toBe(second.token);
      const again = await store.claimLease(run.id, "owner-2", 10_000);
      expect(again).toMatchObject({ ok: true, token: second.token, takeover: false });
      await store.releaseLease(run.id, second.token);
      expect(await store.leaseHolder(run.id)).toBeUndefined();
    });

    it("locks a scope all or none and names the holder", async () => {
      const { store, elapse } = await open();
      const tag = `${process.pid}-${++counter}`;
      expect(await store.acquireScope([`a-${tag}`, `b-${tag}`], "run-1", 200)).toEqual({ ok: true });
      expect(await store.acquireScope([`c-${tag}`, `b-${tag}`], "run-2", 200)).toEqual({
        ok: false,
        heldBy: "run-1",
      });
      expect(await store.acquireScope([`c-${tag}`], "run-3", 10_000)).toEqual({ ok: true }); // c was not taken by run-2
      expect(await store.acquireScope([`a-${tag}`], "run-1", 200)).toEqual({ ok: true });
      await store.releaseScope([`a-${tag}`], "run-2");
      expect(await store.acquireScope([`a-${tag}`], "run-2", 200)).toEqual({ ok: false, heldBy: "run-1" });
      expect(await store.renewScope([`a-${tag}`, `b-${tag}`], "run-1", 200)).toBe(true);
      expect(await store.renewScope([`a-${tag}`, `c-${tag}`], "run-1", 200)).toBe(false);
      await elapse(250, async () => (await store.acquireScope([`a-${tag}`, `b-${tag}`], "run-2", 10_000)).ok);
      expect(await store.acquireScope([`a-${tag}`], "run-1", 200)).toEqual({ ok: false, heldBy: "run-2" });
    });

    it("keeps every attestation, even when an executor writes a stale copy of the step", async () => {
      const { store } = await open();
      const run = runRecord({ state: "waiting_manual" });
      await store.createRun(run, [step("check", "waiting")], event(run.id));
      const stale = (await store.getSteps(run.id)).get("check")!;
      const added = await Promise.all(
        ["one", "two", "three", "four", "five"].map((item, i) =>
          store.addAttestation(
            run.id,
            "check",
            { item, userId: `U${i}`, at: i },
            event(run.id, "step.attestation"),
          ),
        ),
      );
      expect(added).toEqual([true, true, true, true, true]);
      expect(
        await store.addAttestation(run.id, "check", { item: "one", userId: "U0", at: 9 }, event(run.id)),
      ).toBe(false);
      await store.putStep(run.id, { ...stale, output: "waiting for: …" }, event(run.id));
      const after = (await store.getSteps(run.id)).get("check")!;
      expect(after.output).toBe("waiting for: …");
      expect(after.attestations?.map((a) => a.item).sort()).toEqual(["five", "four", "one", "three", "two"]);
      await expect(
        store.addAttestation(run.id, "nope", { item: "x", userId: "U1", at: 1 }, event(run.id)),
      ).rejects.toBeInstanceOf(DrError);
    });

    it("deduplicates: the first caller wins and later callers get its value", async () => {
      const { store } = await open();
      const key = `trigger-${process.pid}-${++counter}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.dedupe(key, "pending", 10_000)),
      );
      expect(results.filter((r) => r.first)).toHaveLength(1);
      await store.settleDedupe(key, "run-42", 10_000);
      expect(await store.dedupe(key, "pending", 10_000)).toEqual({ first: false, value: "run-42" });
    });

    it("keeps the audit trail in order with ids, and lists runs newest first", async () => {
      const { store } = await open();
      const older = runRecord({ createdAt: 1_000 });
      const newer = runRecord({ createdAt: 2_000 });
      await store.createRun(older, [step("a")], event(older.id, "run.requested"));
      await store.createRun(newer, [], event(newer.id, "run.requested"));
      await store.putStep(older.id, step("a", "running"), event(older.id, "step.state", { n: 1 }));
      await store.appendEvent(event(older.id, "run.refusal", { n: 2 }));
      const events = await store.readEvents(older.id);
      expect(events.map((e) => e.type)).toEqual(["run.requested", "step.state", "run.refusal"]);
      expect(new Set(events.map((e) => e.id)).size).toBe(3);
      expect(await store.readEvents(older.id, { after: events[0]!.id, limit: 1 })).toMatchObject([
        { type: "step.state" },
      ]);
      const listed = (await store.listRuns({ limit: 500 })).map((r) => r.id);
      expect(listed.indexOf(newer.id)).toBeLessThan(listed.indexOf(older.id));
    });

    it("tracks active runs and drops them when they end", async () => {
      const { store } = await open();
      const run = runRecord();
      await store.createRun(run, [], event(run.id));
      expect(await store.listActiveRunIds()).toContain(run.id);
      await store.updateRun({ ...run, state: "completed", version: 2 }, 1);
      expect(await store.listActiveRunIds()).not.toContain(run.id);
    });

    it("keeps small values, with only-if-absent and expiry", async () => {
      const { store, elapse } = await open();
      const key = `k-${process.pid}-${++counter}`;
      expect(await store.kvSet(key, "one", { onlyIfAbsent: true })).toBe(true);
      expect(await store.kvSet(key, "two", { onlyIfAbsent: true })).toBe(false);
      expect(await store.kvGet(key)).toBe("one");
      await store.kvSet(`${key}-ttl`, "soon gone", { ttlMs: 100 });
      await elapse(150, async () => (await store.kvGet(`${key}-ttl`)) === undefined);
      expect(await store.kvGet(`${key}-ttl`)).toBeUndefined();
    });
  });
}

export async function waitOut(ms: number, until: () => Promise<boolean>): Promise<void> {
  await waitFor(until, { timeoutMs: ms + 5_000, intervalMs: 20, description: `${ms} ms of TTL to pass` });
}
