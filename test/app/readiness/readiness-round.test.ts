import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryReadinessStore } from "../../../src/adapters/memory/memory-readiness-store.js";
import { ReadinessRound, type ReadinessRoundOptions } from "../../../src/app/readiness/readiness-round.js";
import {
  applicationReadiness,
  type ReadinessReport,
  tierReadiness,
} from "../../../src/domain/readiness/readiness.js";
import type { AssessReadiness } from "../../../src/ports/readiness.js";
import { recordingLogger } from "../../support/recording-logger.js";

const clock = { now: () => Date.now() };
const MINUTE = 60_000;

/**
 * Checks whose reading the test controls: each call waits until the test answers it (`finish`), or
 * until the round's signal aborts, when it reports the drift check as unknown, as the real checks
 * do with what they did not read. `ignoreSignal` makes it a check set that never ends.
 */
function controlledChecks(options: { ignoreSignal?: boolean } = {}) {
  const calls: { signal: AbortSignal; finish: () => void }[] = [];
  const round = (readAt: number, verdict: "ready" | "unknown", summary: string): ReadinessReport => {
    const applications = [
      applicationReadiness("payments", "tier-1", [{ check: "drift", verdict, summary, evidence: [] }]),
    ];
    return { readAt, tookMs: 5, applications, tiers: tierReadiness(["tier-1"], applications) };
  };
  const assess: AssessReadiness = ({ signal }) =>
    new Promise((resolve) => {
      const readAt = clock.now();
      calls.push({ signal, finish: () => resolve(round(readAt, "ready", "images match")) });
      if (!options.ignoreSignal)
        signal.addEventListener("abort", () =>
          resolve(round(readAt, "unknown", `dc2 not read: ${(signal.reason as Error).message}`)),
        );
    });
  return { assess, calls };
}

function round(
  assess: AssessReadiness,
  store = new MemoryReadinessStore(clock),
  onKept?: ReadinessRoundOptions["onKept"],
) {
  const log = recordingLogger();
  const r = new ReadinessRound({
    assess,
    store,
    scope: { tiers: ["tier-1"], applications: [{ name: "payments", tier: "tier-1" }] },
    clock,
    intervalMs: 5 * MINUTE,
    deadlineMs: MINUTE,
    token: "replica-a",
    log,
    pollMs: 5_000,
    ...(onKept ? { onKept } : {}),
  });
  return { round: r, store, log };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-12-04T03:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the readiness round", () => {
  it("makes a round as soon as it starts with none kept, and keeps it with when it read", async () => {
    const checks = controlledChecks();
    const { round: r, store } = round(checks.assess);
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(checks.calls).toHaveLength(1);
    checks.calls[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect((await store.latest())?.readAt).toBe(Date.parse("2026-12-04T03:00:00Z"));
    await r.stop();
  });

  it("makes the next round only once the interval is up", async () => {
    const checks = controlledChecks();
    const { round: r } = round(checks.assess);
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    checks.calls[0]!.finish();
    await vi.advanceTimersByTimeAsync(4 * MINUTE + 55_000);
    expect(checks.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(checks.calls).toHaveLength(2);
    checks.calls[1]!.finish();
    await r.stop();
  });

  it("never makes two rounds at once: one asked for while a round reads joins it", async () => {
    const checks = controlledChecks();
    const { round: r } = round(checks.assess);
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    const joined = r.runOnce();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(checks.calls).toHaveLength(1);
    checks.calls[0]!.finish();
    expect((await joined).kind).toBe("kept");
    await r.stop();
  });

  it("does not read while another process holds the round lock", async () => {
    const checks = controlledChecks();
    const store = new MemoryReadinessStore(clock);
    await store.lockRound("drbot-readiness-now", 2 * MINUTE);
    const { round: r } = round(checks.assess, store);
    expect(await r.runOnce()).toEqual({ kind: "busy" });
    expect(checks.calls).toHaveLength(0);
  });

  it("cuts a round at its deadline: the checks' signal aborts and what did not read is unknown", async () => {
    const checks = controlledChecks();
    const { round: r, store } = round(checks.assess);
    const outcome = r.runOnce();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(checks.calls[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(checks.calls[0]!.signal.aborted).toBe(true);
    const kept = await outcome;
    expect(kept.kind).toBe("kept");
    expect((await store.latest())?.applications[0]).toMatchObject({
      application: "payments",
      verdict: "unknown",
      findings: [{ summary: "dc2 not read: the readiness round's deadline (60000 ms) passed" }],
    });
  });

  it("ends a round whose checks ignore their signal: every application unknown, saying why", async () => {
    const checks = controlledChecks({ ignoreSignal: true });
    const { round: r, store, log } = round(checks.assess);
    const outcome = r.runOnce();
    await vi.advanceTimersByTimeAsync(MINUTE + 2_000);
    expect((await outcome).kind).toBe("kept");
    const kept = await store.latest();
    expect(kept?.tiers).toEqual([
      { tier: "tier-1", verdict: "unknown", applications: [{ application: "payments", verdict: "unknown" }] },
    ]);
    expect(kept?.applications[0]?.findings[0]?.summary).toBe(
      "not read: the round did not end within its deadline (60 s)",
    );
    expect(log.messages("error")).toEqual([
      "the readiness checks did not end after their deadline; every application is unknown",
    ]);
  });

  it("makes a round asked for before the interval is up, tells the run that asked, and clears its request", async () => {
    const checks = controlledChecks();
    const answered: string[] = [];
    const { round: r, store } = round(checks.assess, undefined, async (report, requests) => {
      answered.push(...requests.map((q) => `${q.runId} ${q.moment}: ${report.applications[0]?.verdict}`));
    });
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    checks.calls[0]!.finish();
    await vi.advanceTimersByTimeAsync(MINUTE);
    await store.request({ at: clock.now(), runId: "drill-1", moment: "after", reason: "drill-1 completed" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(checks.calls).toHaveLength(2);
    checks.calls[1]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(answered).toEqual(["drill-1 after: ready"]);
    expect(await store.requests()).toEqual([]);
    await r.stop();
  });

  it("keeps nothing of a round stopped while it reads (leadership lost)", async () => {
    const checks = controlledChecks({ ignoreSignal: true });
    const { round: r, store } = round(checks.assess);
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = r.stop();
    await vi.advanceTimersByTimeAsync(MINUTE + 2_000);
    await stopped;
    expect(checks.calls[0]!.signal.aborted).toBe(true);
    expect(await store.latest()).toBeUndefined();
    expect(await store.lockRound("another-leader", MINUTE)).toBe(true);
  });
});
