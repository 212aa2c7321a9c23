import { describe, expect, it } from "vitest";
import type { ServingMove } from "../../src/domain/site-state.js";
import type { SiteStateStore } from "../../src/ports/site-state.js";

let counter = 0;

/** A move of `application` by a fresh run; override what the test is about. */
function move(application: string, overrides: Partial<ServingMove> = {}): ServingMove {
  counter += 1;
  return {
    application,
    from: "dc1",
    to: "dc2",
    at: 1_700_000_000_000 + counter * 1_000,
    runId: `failover-${counter}`,
    by: "U0ONCALL",
    kind: "failover",
    ...overrides,
  };
}

/**
 * One contract, two stores: the in-memory site state must behave exactly like the Redis one. `open`
 * gives each test a store of its own (a fresh instance or a fresh key prefix) that keeps at most
 * `maxHistory` moves when given.
 */
export function describeSiteStateContract(
  name: string,
  open: (options?: { maxHistory?: number }) => Promise<SiteStateStore>,
): void {
  describe(`${name} site state`, () => {
    it("has no record for an application no run has moved", async () => {
      const store = await open();
      expect(await store.current()).toEqual([]);
      expect(await store.history()).toEqual([]);
      expect(await store.history({ application: "payments" })).toEqual([]);
    });

    it("records a move and reads it back as the application's newest, and in the history", async () => {
      const store = await open();
      const moved = move("payments");
      expect(await store.record([moved], { payments: null })).toEqual({ ok: true });
      expect(await store.current()).toEqual([moved]);
      expect(await store.history()).toEqual([moved]);
      expect(await store.history({ application: "payments" })).toEqual([moved]);
    });

    it("records several applications at once, each its own move", async () => {
      const store = await open();
      const payments = move("payments");
      const core = move("core-api", { runId: payments.runId });
      expect(await store.record([payments, core], { payments: null, "core-api": null })).toEqual({
        ok: true,
      });
      const current = await store.current();
      expect(current.sort((a, b) => a.application.localeCompare(b.application))).toEqual([core, payments]);
    });

    it("replaces the newest move when the expected one is current, and keeps both in the history", async () => {
      const store = await open();
      const out = move("payments");
      await store.record([out], { payments: null });
      const back = move("payments", { from: "dc2", to: "dc1", kind: "failback" });
      expect(await store.record([back], { payments: out.runId })).toEqual({ ok: true });
      expect(await store.current()).toEqual([back]);
      expect(await store.history({ application: "payments" })).toEqual([back, out]);
    });

    it("writes nothing when one application's newest move is not the expected one, and says which", async () => {
      const store = await open();
      const earlier = move("payments");
      await store.record([earlier], { payments: null });
      const core = move("core-api");
      const stale = move("payments", { runId: core.runId });
      expect(await store.record([core, stale], { "core-api": null, payments: null })).toEqual({
        ok: false,
        application: "payments",
        current: earlier,
      });
      expect(await store.current()).toEqual([earlier]);
      expect(await store.history()).toEqual([earlier]);
    });

    it("refuses a move that expects a record where there is none", async () => {
      const store = await open();
      expect(await store.record([move("payments")], { payments: "failover-elsewhere" })).toEqual({
        ok: false,
        application: "payments",
      });
      expect(await store.current()).toEqual([]);
    });

    it("refuses the same move twice: the second finds the first", async () => {
      const store = await open();
      const moved = move("payments");
      await store.record([moved], { payments: null });
      expect(await store.record([moved], { payments: null })).toMatchObject({ ok: false, current: moved });
      expect(await store.history()).toEqual([moved]);
    });

    it("answers the history newest first, of every application or one, at most the limit", async () => {
      const store = await open();
      const moves = [
        move("payments"),
        move("analytics"),
        move("payments", { from: "dc2", to: "dc1" }),
        move("analytics", { from: "dc2", to: "dc1" }),
      ];
      const expected: Record<string, string | null> = { payments: null, analytics: null };
      for (const m of moves) {
        expect(await store.record([m], expected)).toEqual({ ok: true });
        expected[m.application] = m.runId;
      }
      expect(await store.history()).toEqual([...moves].reverse());
      expect(await store.history({ limit: 3 })).toEqual([moves[3], moves[2], moves[1]]);
      expect(await store.history({ application: "payments" })).toEqual([moves[2], moves[0]]);
      expect(await store.history({ application: "payments", limit: 1 })).toEqual([moves[2]]);
      expect(await store.history({ limit: 0 })).toEqual([]);
    });

    it("finds one application's moves among many of others", async () => {
      const store = await open();
      const first = move("payments");
      await store.record([first], { payments: null });
      let previous: string | null = null;
      for (let i = 0; i < 600; i += 1) {
        const other = move("analytics", i % 2 === 0 ? {} : { from: "dc2", to: "dc1" });
        await store.record([other], { analytics: previous });
        previous = other.runId;
      }
      expect(await store.history({ application: "payments" })).toEqual([first]);
    });

    it("keeps at least the newest moves up to its bound, dropping the oldest", async () => {
      const store = await open({ maxHistory: 100 });
      let previous: string | null = null;
      const moves: ServingMove[] = [];
      for (let i = 0; i < 400; i += 1) {
        const m = move("payments", i % 2 === 0 ? {} : { from: "dc2", to: "dc1" });
        await store.record([m], { payments: previous });
        previous = m.runId;
        moves.push(m);
      }
      const kept = await store.history({ limit: 1_000 });
      expect(kept.length).toBeGreaterThanOrEqual(100);
      expect(kept.length).toBeLessThan(400);
      expect(kept.slice(0, 100)).toEqual(moves.slice(-100).reverse());
      expect(await store.current()).toEqual([moves[399]]);
    });
  });
}
