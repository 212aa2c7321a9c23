import { describe, expect, it } from "vitest";
import type { ReadinessReport } from "../../src/domain/readiness/readiness.js";
import type { ReadinessStore } from "../../src/ports/readiness-store.js";

/** A round over payments (tier-1), ready, read at `readAt`. */
export function keptRound(readAt: number, verdict: "ready" | "not_ready" = "ready"): ReadinessReport {
  const findings = [{ check: "drift" as const, verdict, summary: "images match", evidence: ["api: 1.4.2"] }];
  return {
    readAt,
    tookMs: 1_200,
    applications: [{ application: "payments", tier: "tier-1", verdict, findings }],
    tiers: [{ tier: "tier-1", verdict, applications: [{ application: "payments", verdict }] }],
  };
}

/**
 * One contract, two stores: the in-memory readiness store behaves like the Redis one. `open` gives
 * each test a store of its own (a fresh instance or key prefix).
 */
export function describeReadinessStoreContract(name: string, open: () => Promise<ReadinessStore>): void {
  describe(`readiness store contract: ${name}`, () => {
    it("has no round until one is kept, then answers the newest kept", async () => {
      const store = await open();
      expect(await store.latest()).toBeUndefined();
      await store.keep(keptRound(1_000));
      await store.keep(keptRound(2_000, "not_ready"));
      expect(await store.latest()).toEqual(keptRound(2_000, "not_ready"));
    });

    it("keeps one request per run and moment, oldest first", async () => {
      const store = await open();
      await store.request({ at: 30, runId: "drill-1", moment: "after", reason: "drill-1 completed" });
      await store.request({
        at: 10,
        runId: "drill-2",
        moment: "before",
        applications: ["payments"],
        reason: "r",
      });
      await store.request({ at: 40, runId: "drill-1", moment: "after", reason: "drill-1 again" });
      expect((await store.requests()).map((r) => `${r.runId}:${r.moment}:${r.at}`)).toEqual([
        "drill-2:before:10",
        "drill-1:after:40",
      ]);
    });

    it("clears the requests a round answered, and keeps one made again since", async () => {
      const store = await open();
      await store.request({ at: 10, runId: "drill-1", moment: "after", reason: "r" });
      await store.request({ at: 20, runId: "drill-2", moment: "after", reason: "r" });
      const seen = await store.requests();
      await store.request({ at: 50, runId: "drill-2", moment: "after", reason: "asked again" });
      await store.answered(seen);
      expect((await store.requests()).map((r) => `${r.runId}:${r.at}`)).toEqual(["drill-2:50"]);
    });

    it("lets one holder at a time take the round lock, and only the holder give it back", async () => {
      const store = await open();
      expect(await store.lockRound("leader-a", 60_000)).toBe(true);
      expect(await store.lockRound("cli-b", 60_000)).toBe(false);
      await store.releaseRound("cli-b");
      expect(await store.lockRound("cli-b", 60_000)).toBe(false);
      await store.releaseRound("leader-a");
      expect(await store.lockRound("cli-b", 60_000)).toBe(true);
    });
  });
}
