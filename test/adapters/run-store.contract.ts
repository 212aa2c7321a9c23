import { describe, expect, it } from "vitest";
import { TERMINAL_STATES } from "../../src/domain/run.js";
import type { RunStore, RunSummary, StoreLimits } from "../../src/ports/run-store.js";
import { nextVersion, runEvent, runRecord, stepRecord, uniqueId } from "../support/run-fixtures.js";

export interface StoreFixture {
  store: RunStore;
  /**
   * Lets `ms` pass for TTLs, then `until` must hold: the in-memory store moves its fake clock; the
   * Redis store waits in real time until `until` holds, with a deadline.
   */
  elapse(ms: number, until: () => Promise<boolean>): Promise<void>;
}

/** Orders stream ids (`ms-seq`) the way Redis does. */
function isAfter(id: string, previous: string): boolean {
  const [ms = 0, seq = 0] = id.split("-").map(Number);
  const [pms = 0, pseq = 0] = previous.split("-").map(Number);
  return ms > pms || (ms === pms && seq > pseq);
}

/** The counts of a summary as `kind/state=n`, sorted, for comparing. */
function countsOf(summary: RunSummary): string[] {
  return summary.counts.map((c) => `${c.kind}/${c.state}=${c.runs}`).sort();
}

/**
 * One contract, two stores: the in-memory store must behave exactly like the Redis one. `open`
 * gives each test a store of its own (a fresh instance or a fresh key prefix), with the given limits
 * or the defaults.
 */
export function describeRunStoreContract(
  name: string,
  open: (limits?: StoreLimits) => Promise<StoreFixture>,
): void {
  describe(`${name} run store`, () => {
    describe("runs", () => {
      it("creates a run with its steps and reads it back", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [stepRecord("a"), stepRecord("b")], runEvent(run.id, "run.requested"));
        expect(await store.getRun(run.id)).toEqual(run);
        const steps = await store.getSteps(run.id);
        expect([...steps.keys()].sort()).toEqual(["a", "b"]);
        expect(steps.get("a")).toEqual(stepRecord("a"));
      });

      it("refuses a second run with the same id, keeping the first", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [stepRecord("a")], runEvent(run.id));
        await expect(
          store.createRun({ ...run, reason: "again" }, [], runEvent(run.id)),
        ).rejects.toMatchObject({ code: "conflict" });
        expect((await store.getRun(run.id))?.reason).toBe(run.reason);
        expect((await store.readEvents(run.id)).length).toBe(1);
      });

      it("answers nothing for a run that does not exist", async () => {
        const { store } = await open();
        expect(await store.getRun("no-such-run")).toBeUndefined();
        expect((await store.getSteps("no-such-run")).size).toBe(0);
        expect(await store.readEvents("no-such-run")).toEqual([]);
      });

      it("writes with compare-and-set and refuses a stale version", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [], runEvent(run.id));
        expect(await store.updateRun(nextVersion(run, { reason: "second" }), 1, runEvent(run.id))).toBe(true);
        expect(await store.updateRun(nextVersion(run, { reason: "stale" }), 1, runEvent(run.id))).toBe(false);
        expect(await store.getRun(run.id)).toMatchObject({ reason: "second", version: 2 });
        expect((await store.readEvents(run.id)).length).toBe(2);
      });

      it("refuses a write whose version does not move by exactly one", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [], runEvent(run.id));
        await expect(store.updateRun({ ...run, reason: "same version" }, 1)).rejects.toMatchObject({
          code: "internal",
        });
        expect(await store.getRun(run.id)).toEqual(run);
      });

      it("refuses to update a run that does not exist", async () => {
        const { store } = await open();
        await expect(store.updateRun(nextVersion(runRecord()), 1)).rejects.toMatchObject({
          code: "unknown_run",
        });
      });

      it("loses no update when 20 writers race with retries", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [], runEvent(run.id));
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            for (;;) {
              const current = (await store.getRun(run.id))!;
              const next = nextVersion(current, {
                approvals: [...current.approvals, { userId: `U${i}`, at: i, planHash: "plan-hash-1" }],
              });
              if (await store.updateRun(next, current.version)) return;
            }
          }),
        );
        const final = (await store.getRun(run.id))!;
        expect(final.approvals.map((a) => a.userId).sort()).toEqual(
          Array.from({ length: 20 }, (_, i) => `U${i}`).sort(),
        );
        expect(final.version).toBe(21);
      });

      it("lists runs newest first, up to the limit", async () => {
        const { store } = await open();
        const runs = [3_000, 1_000, 2_000].map((createdAt) => runRecord({ createdAt }));
        for (const run of runs) await store.createRun(run, [], runEvent(run.id));
        expect((await store.listRuns()).map((r) => r.createdAt)).toEqual([3_000, 2_000, 1_000]);
        expect((await store.listRuns({ limit: 2 })).map((r) => r.createdAt)).toEqual([3_000, 2_000]);
      });

      it("lists a run as active until it reaches any terminal state", async () => {
        const { store } = await open();
        const terminal = [...TERMINAL_STATES];
        const runs = terminal.map(() => runRecord({ state: "running" }));
        for (const run of runs) await store.createRun(run, [], runEvent(run.id));
        const ended = runRecord({ state: "rejected" });
        await store.createRun(ended, [], runEvent(ended.id));
        expect((await store.listActiveRunIds()).sort()).toEqual(runs.map((r) => r.id).sort());

        const [stillRunning, ...ending] = runs;
        await store.updateRun(nextVersion(stillRunning!, { state: "waiting_manual" }), 1);
        await Promise.all(
          ending.map((run, i) => store.updateRun(nextVersion(run, { state: terminal[i + 1]! }), 1)),
        );
        expect(await store.listActiveRunIds()).toEqual([stillRunning!.id]);
        await store.updateRun(nextVersion(nextVersion(stillRunning!), { state: terminal[0]! }), 2);
        expect(await store.listActiveRunIds()).toEqual([]);
      });
    });

    describe("audit trail", () => {
      it("keeps every run's events in order, each with an increasing id", async () => {
        const { store } = await open();
        const run = runRecord();
        const other = runRecord();
        await store.createRun(run, [stepRecord("a")], runEvent(run.id, "run.requested"));
        await store.createRun(other, [], runEvent(other.id, "run.requested"));
        await store.putStep(run.id, stepRecord("a", { status: "running" }), runEvent(run.id, "step.state"));
        const appended = await store.appendEvent(runEvent(run.id, "run.refusal", { why: "busy" }));
        await store.updateRun(nextVersion(run), 1, runEvent(run.id, "run.state"));

        const events = await store.readEvents(run.id);
        expect(events.map((e) => e.type)).toEqual([
          "run.requested",
          "step.state",
          "run.refusal",
          "run.state",
        ]);
        expect(events[2]).toEqual({ ...runEvent(run.id, "run.refusal", { why: "busy" }), id: appended });
        for (let i = 1; i < events.length; i++)
          expect(isAfter(events[i]!.id!, events[i - 1]!.id!)).toBe(true);
        expect((await store.readEvents(other.id)).map((e) => e.type)).toEqual(["run.requested"]);
      });

      it("reads the events after a given id, up to a limit", async () => {
        const { store } = await open();
        const run = runRecord();
        await store.createRun(run, [], runEvent(run.id, "run.requested"));
        for (let n = 1; n <= 4; n++) await store.appendEvent(runEvent(run.id, "run.note", { n }));
        const [first, second] = await store.readEvents(run.id);
        expect((await store.readEvents(run.id, { after: first!.id! })).map((e) => e.data.n)).toEqual([
          1, 2, 3, 4,
        ]);
        expect(
          (await store.readEvents(run.id, { after: second!.id!, limit: 2 })).map((e) => e.data.n),
        ).toEqual([2, 3]);
        expect(await store.readEvents(run.id, { limit: 1 })).toEqual([first]);
      });
    });

    describe("bounds", () => {
      it("keeps at least the newest events of a run up to its limit, and not many more", async () => {
        const { store } = await open({ maxEventsPerRun: 100, maxAuditEvents: 100 });
        const run = runRecord({ state: "running" });
        await store.createRun(run, [stepRecord("a")], runEvent(run.id, "run.requested"));
        for (let n = 1; n <= 300; n++) {
          if (n % 3 === 0)
            await store.putStep(
              run.id,
              stepRecord("a", { attempts: n }),
              runEvent(run.id, "step.state", { n }),
            );
          else await store.appendEvent(runEvent(run.id, "run.note", { n }));
        }
        const events = await store.readEvents(run.id);
        // Redis trims whole stream nodes (MAXLEN ~), so a little more than the limit may stay.
        expect(events.length).toBeGreaterThanOrEqual(100);
        expect(events.length).toBeLessThan(200);
        expect(events.at(-1)?.data.n).toBe(300);
        const kept = events.map((e) => Number(e.data.n));
        expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 301 - kept.length + i));
      });

      it("counts runs by kind and state, following every write and retirement, without reading them", async () => {
        const { store } = await open();
        expect(await store.runSummary()).toEqual({ counts: [], active: 0 });
        const a = runRecord({ state: "pending_approval" });
        const b = runRecord({ state: "pending_approval", kind: "drill" });
        const c = runRecord({ state: "rejected" });
        for (const run of [a, b, c]) await store.createRun(run, [], runEvent(run.id));
        expect(countsOf(await store.runSummary())).toEqual([
          "drill/pending_approval=1",
          "failover/pending_approval=1",
          "failover/rejected=1",
        ]);
        await store.updateRun(nextVersion(a, { state: "approved" }), 1);
        await store.updateRun(nextVersion(nextVersion(a), { state: "running" }), 2);
        await store.updateRun(nextVersion(b, { state: "completed" }), 1);
        // A write that changes nothing about the state leaves the counts alone.
        await store.updateRun(nextVersion(nextVersion(nextVersion(a)), { state: "running" }), 3);
        expect(countsOf(await store.runSummary())).toEqual([
          "drill/completed=1",
          "failover/rejected=1",
          "failover/running=1",
        ]);
        expect((await store.runSummary()).active).toBe(1);
        await store.retireRun(c.id);
        expect(countsOf(await store.runSummary())).toEqual(["drill/completed=1", "failover/running=1"]);
      });

      it("lists the runs finished before a time, oldest first, and none still active", async () => {
        const { store } = await open();
        const runs = [3_000, 1_000, 2_000, 9_000].map((at) => runRecord({ state: "running", updatedAt: at }));
        for (const run of runs) await store.createRun(run, [], runEvent(run.id));
        for (const run of runs.slice(0, 3))
          await store.updateRun(nextVersion(run, { state: "completed", updatedAt: run.updatedAt + 10 }), 1);
        const early = runRecord({ state: "rejected", updatedAt: 500 });
        await store.createRun(early, [], runEvent(early.id));
        const [r3000, r1000, r2000] = runs;
        expect(await store.listFinishedBefore(5_000, 10)).toEqual([
          early.id,
          r1000!.id,
          r2000!.id,
          r3000!.id,
        ]);
        expect(await store.listFinishedBefore(2_000, 10)).toEqual([early.id, r1000!.id]);
        expect(await store.listFinishedBefore(5_000, 2)).toEqual([early.id, r1000!.id]);
      });

      it("retires a finished run whole, keeps its archive for the archive's TTL, and refuses an active run", async () => {
        const { store, elapse } = await open();
        const done = runRecord({ state: "running" });
        await store.createRun(
          done,
          [stepRecord("a"), stepRecord("check")],
          runEvent(done.id, "run.requested"),
        );
        const lease = await store.claimLease(done.id, "exec-a", 60_000);
        if (!lease.ok) throw new Error("claim refused");
        await store.addAttestation(done.id, "check", { item: "x", userId: "U1", at: 1 }, runEvent(done.id));
        await store.updateRun(nextVersion(done, { state: "completed" }), 1, runEvent(done.id), lease.token);
        const active = runRecord({ state: "running" });
        await store.createRun(active, [stepRecord("a")], runEvent(active.id));

        expect(await store.retireRun(active.id, { text: "no", ttlMs: 10_000 })).toBe(false);
        expect(await store.getRun(active.id)).toEqual(active);
        expect(await store.readArchive(active.id)).toBeUndefined();

        expect(await store.retireRun(done.id, { text: '{"report":1}', ttlMs: 300 })).toBe(true);
        expect(await store.getRun(done.id)).toBeUndefined();
        expect((await store.getSteps(done.id)).size).toBe(0);
        expect(await store.readEvents(done.id)).toEqual([]);
        expect(await store.leaseHolder(done.id)).toBeUndefined();
        expect((await store.listRuns()).map((r) => r.id)).toEqual([active.id]);
        expect(await store.listFinishedBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await store.readArchive(done.id)).toBe('{"report":1}');
        expect(await store.retireRun(done.id)).toBe(false);
        await elapse(350, async () => (await store.readArchive(done.id)) === undefined);
        expect(await store.retireRun("no-such-run")).toBe(false);
      });

      it("keeps refusals that belong to no run in their own capped audit stream, newest last", async () => {
        const { store } = await open({ maxEventsPerRun: 100, maxAuditEvents: 100 });
        const run = runRecord();
        await store.createRun(run, [], runEvent(run.id, "run.requested"));
        for (let n = 1; n <= 250; n++) await store.appendAudit(runEvent(run.id, "run.refusal", { n }));
        expect((await store.readEvents(run.id)).map((e) => e.type)).toEqual(["run.requested"]);
        const all = await store.readAudit({ limit: 1_000 });
        expect(all.length).toBeGreaterThanOrEqual(100);
        expect(all.length).toBeLessThan(200);
        expect(all.at(-1)).toMatchObject({ type: "run.refusal", runId: run.id, data: { n: 250 } });
        expect((await store.readAudit({ limit: 2 })).map((e) => e.data.n)).toEqual([249, 250]);
        for (let i = 1; i < all.length; i++) expect(isAfter(all[i]!.id!, all[i - 1]!.id!)).toBe(true);
      });
    });

    describe("execution lease and fencing", () => {
      it("gives the lease to one owner at a time and names the holder to others", async () => {
        const { store } = await open();
        const run = runRecord({ state: "running" });
        await store.createRun(run, [], runEvent(run.id));
        const first = await store.claimLease(run.id, "exec-a", 10_000);
        expect(first).toMatchObject({ ok: true, token: "exec-a#1", fence: 1, takeover: false });
        expect(await store.claimLease(run.id, "exec-b", 10_000)).toEqual({ ok: false, heldBy: "exec-a#1" });
        expect(await store.claimLease(run.id, "exec-a#1", 10_000)).toEqual({ ok: false, heldBy: "exec-a#1" });
        expect(await store.claimLease(run.id, "exec-a", 10_000)).toEqual(first);
        expect(await store.leaseHolder(run.id)).toBe("exec-a#1");
      });

      it("hands out strictly larger fencing numbers on every new claim", async () => {
        const { store } = await open();
        const run = runRecord({ state: "running" });
        await store.createRun(run, [], runEvent(run.id));
        const fences: number[] = [];
        for (const owner of ["exec-a", "exec-b", "exec-a", "exec-c"]) {
          const claim = await store.claimLease(run.id, owner, 10_000);
          if (!claim.ok) throw new Error(`${owner} was refused the free lease`);
          expect(claim.token).toBe(`${owner}#${claim.fence}`);
          expect(claim.takeover).toBe(fences.length > 0);
          fences.push(claim.fence);
          await store.releaseLease(run.id, claim.token);
        }
        expect(fences).toEqual([...fences].sort((a, b) => a - b));
        expect(new Set(fences).size).toBe(fences.length);
      });

      it("refuses to renew or release the lease with a token that does not hold it", async () => {
        const { store } = await open();
        const run = runRecord({ state: "running" });
        await store.createRun(run, [], runEvent(run.id));
        const claim = await store.claimLease(run.id, "exec-a", 10_000);
        if (!claim.ok) throw new Error("claim refused");
        expect(await store.renewLease(run.id, "exec-b#1", 10_000)).toBe(false);
        expect(await store.renewLease(run.id, "exec-a#2", 10_000)).toBe(false);
        await store.releaseLease(run.id, "exec-b#1");
        expect(await store.leaseHolder(run.id)).toBe(claim.token);
        expect(await store.renewLease(run.id, claim.token, 10_000)).toBe(true);
        await store.releaseLease(run.id, claim.token);
        expect(await store.leaseHolder(run.id)).toBeUndefined();
        expect(await store.renewLease(run.id, claim.token, 10_000)).toBe(false);
      });

      it("refuses an executor's writes once its lease has expired", async () => {
        const { store, elapse } = await open();
        const run = runRecord({ state: "running" });
        await store.createRun(run, [stepRecord("a")], runEvent(run.id));
        const claim = await store.claimLease(run.id, "exec-a", 200);
        if (!claim.ok) throw new Error("claim refused");
        await store.putStep(run.id, stepRecord("a", { status: "running" }), runEvent(run.id), claim.token);
        await elapse(250, async () => (await store.leaseHolder(run.id)) === undefined);

        await expect(
          store.putStep(run.id, stepRecord("a", { status: "succeeded" }), runEvent(run.id), claim.token),
        ).rejects.toMatchObject({ code: "lost_lease" });
        await expect(
          store.updateRun(nextVersion(run), 1, runEvent(run.id), claim.token),
        ).rejects.toMatchObject({
          code: "lost_lease",
        });
        expect(await store.renewLease(run.id, claim.token, 10_000)).toBe(false);
        expect((await store.getSteps(run.id)).get("a")?.status).toBe("running");
        expect(await store.getRun(run.id)).toEqual(run);
      });

      it("fences a deposed executor out after a takeover", async () => {
        const { store, elapse } = await open();
        const run = runRecord({ state: "running" });
        await store.createRun(run, [stepRecord("a")], runEvent(run.id));
        const first = await store.claimLease(run.id, "exec-a", 200);
        if (!first.ok) throw new Error("first claim refused");
        await elapse(250, async () => (await store.leaseHolder(run.id)) === undefined);
        const second = await store.claimLease(run.id, "exec-b", 10_000);
        if (!second.ok) throw new Error("takeover refused");
        expect(second.takeover).toBe(true);
        expect(second.fence).toBeGreaterThan(first.fence);

        await expect(
          store.putStep(run.id, stepRecord("a", { status: "succeeded" }), runEvent(run.id), first.token),
        ).rejects.toMatchObject({ code: "lost_lease" });
        await expect(store.updateRun(nextVersion(run), 1, undefined, first.token)).rejects.toMatchObject({
          code: "lost_lease",
        });
        await store.releaseLease(run.id, first.token);
        expect(await store.leaseHolder(run.id)).toBe(second.token);

        const observed = stepRecord("a", { status: "succeeded", resolvedBy: "observed" });
        await store.putStep(run.id, observed, runEvent(run.id, "step.observed"), second.token);
        expect(await store.updateRun(nextVersion(run), 1, undefined, second.token)).toBe(true);
        expect((await store.getSteps(run.id)).get("a")).toEqual(observed);
      });

      it("takes operator step writes without a token, and refuses steps of unknown runs", async () => {
        const { store } = await open();
        const run = runRecord({ state: "waiting_manual" });
        await store.createRun(run, [stepRecord("check")], runEvent(run.id));
        await store.claimLease(run.id, "exec-a", 10_000);
        await store.putStep(
          run.id,
          stepRecord("check", { status: "waiting", output: "tick it" }),
          runEvent(run.id),
        );
        expect((await store.getSteps(run.id)).get("check")?.output).toBe("tick it");
        await expect(
          store.putStep("no-such-run", stepRecord("check"), runEvent("no-such-run")),
        ).rejects.toMatchObject({ code: "unknown_run" });
      });
    });

    describe("attestations", () => {
      it("keeps every attestation, even when an executor writes a stale copy of the step", async () => {
        const { store } = await open();
        const run = runRecord({ state: "waiting_manual" });
        await store.createRun(run, [stepRecord("check", { status: "waiting" })], runEvent(run.id));
        const stale = (await store.getSteps(run.id)).get("check")!;
        const added = await Promise.all(
          ["one", "two", "three", "four", "five"].map((item, i) =>
            store.addAttestation(
              run.id,
              "check",
              { item, userId: `U${i}`, at: i },
              runEvent(run.id, "step.attestation"),
            ),
          ),
        );
        expect(added).toEqual([true, true, true, true, true]);
        expect(
          await store.addAttestation(run.id, "check", { item: "one", userId: "U0", at: 9 }, runEvent(run.id)),
        ).toBe(false);
        await store.putStep(
          run.id,
          { ...stale, output: "waiting for: …", attestations: [] },
          runEvent(run.id),
        );
        const after = (await store.getSteps(run.id)).get("check")!;
        expect(after.output).toBe("waiting for: …");
        expect(after.attestations?.map((a) => a.item).sort()).toEqual([
          "five",
          "four",
          "one",
          "three",
          "two",
        ]);
        expect((await store.readEvents(run.id)).filter((e) => e.type === "step.attestation")).toHaveLength(5);
        await expect(
          store.addAttestation(run.id, "nope", { item: "x", userId: "U1", at: 1 }, runEvent(run.id)),
        ).rejects.toMatchObject({ code: "unknown_run" });
      });
    });

    describe("scope locks", () => {
      it("takes every key of a scope or none, and names the run holding one", async () => {
        const { store } = await open();
        const [a, b, c] = [uniqueId("scope-a"), uniqueId("scope-b"), uniqueId("scope-c")];
        expect(await store.acquireScope([a, b], "run-1", 10_000)).toEqual({ ok: true });
        expect(await store.acquireScope([c, b], "run-2", 10_000)).toEqual({ ok: false, heldBy: "run-1" });
        expect(await store.acquireScope([c], "run-3", 10_000)).toEqual({ ok: true });
        expect(await store.acquireScope([a, b], "run-1", 10_000)).toEqual({ ok: true });
      });

      it("releases only the keys the run holds", async () => {
        const { store } = await open();
        const [a, b] = [uniqueId("scope-a"), uniqueId("scope-b")];
        await store.acquireScope([a], "run-1", 10_000);
        await store.acquireScope([b], "run-2", 10_000);
        await store.releaseScope([a, b], "run-2");
        expect(await store.acquireScope([a], "run-3", 10_000)).toEqual({ ok: false, heldBy: "run-1" });
        expect(await store.acquireScope([b], "run-3", 10_000)).toEqual({ ok: true });
        await store.releaseScope([a], "run-1");
        expect(await store.acquireScope([a], "run-3", 10_000)).toEqual({ ok: true });
        await store.releaseScope([], "run-3");
      });

      it("frees keys whose TTL passed without renewal, and keeps renewed ones", async () => {
        const { store, elapse } = await open();
        const [a, b, c] = [uniqueId("scope-a"), uniqueId("scope-b"), uniqueId("scope-c")];
        await store.acquireScope([a, b], "run-1", 200);
        await store.acquireScope([c], "run-3", 10_000);
        expect(await store.renewScope([a, b], "run-1", 200)).toBe(true);
        expect(await store.renewScope([a, c], "run-1", 10_000)).toBe(false);
        await elapse(250, async () => (await store.acquireScope([b], "run-2", 10_000)).ok);
        expect(await store.acquireScope([a], "run-2", 10_000)).toEqual({ ok: false, heldBy: "run-1" });
        expect(await store.renewScope([b], "run-1", 10_000)).toBe(false);
        expect(await store.acquireScope([c], "run-2", 10_000)).toEqual({ ok: false, heldBy: "run-3" });
      });
    });

    describe("deduplication", () => {
      it("lets the first caller win and gives later callers its value", async () => {
        const { store } = await open();
        const key = uniqueId("trigger");
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.dedupe(key, `pending-${i}`, 10_000)),
        );
        const winners = results.filter((r) => r.first);
        expect(winners).toHaveLength(1);
        const winner = results.indexOf(winners[0]!);
        for (const r of results) if (!r.first) expect(r.value).toBe(`pending-${winner}`);
        await store.settleDedupe(key, "run-42", 10_000);
        expect(await store.dedupe(key, "pending", 10_000)).toEqual({ first: false, value: "run-42" });
      });

      it("does not settle a key nobody created, and forgets a key after its TTL", async () => {
        const { store, elapse } = await open();
        const never = uniqueId("never");
        await store.settleDedupe(never, "run-1", 10_000);
        expect(await store.dedupe(never, "pending", 10_000)).toEqual({ first: true });
        const key = uniqueId("brief");
        expect(await store.dedupe(key, "pending", 200)).toEqual({ first: true });
        await elapse(250, async () => (await store.dedupe(key, "again", 10_000)).first);
        expect(await store.dedupe(key, "later", 10_000)).toEqual({ first: false, value: "again" });
      });
    });

    describe("key-value state", () => {
      it("keeps small values, with only-if-absent, expiry and removal", async () => {
        const { store, elapse } = await open();
        const key = uniqueId("kv");
        expect(await store.kvGet(key)).toBeUndefined();
        expect(await store.kvSet(key, "one", { onlyIfAbsent: true })).toBe(true);
        expect(await store.kvSet(key, "two", { onlyIfAbsent: true })).toBe(false);
        expect(await store.kvGet(key)).toBe("one");
        expect(await store.kvSet(key, "three")).toBe(true);
        expect(await store.kvGet(key)).toBe("three");
        await store.kvSet(`${key}-gone`, "removed");
        await store.kvDelete(`${key}-gone`);
        expect(await store.kvGet(`${key}-gone`)).toBeUndefined();
        await store.kvDelete(`${key}-gone`);

        await store.kvSet(`${key}-ttl`, "soon gone", { ttlMs: 200 });
        expect(await store.kvSet(`${key}-ttl`, "refused", { ttlMs: 200, onlyIfAbsent: true })).toBe(false);
        await elapse(250, async () => (await store.kvGet(`${key}-ttl`)) === undefined);
        expect(await store.kvSet(`${key}-ttl`, "back", { ttlMs: 10_000, onlyIfAbsent: true })).toBe(true);
        expect(await store.kvGet(`${key}-ttl`)).toBe("back");
        expect(await store.kvGet(key)).toBe("three");
      });
    });
  });
}
