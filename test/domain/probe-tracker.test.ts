import { describe, expect, it } from "vitest";
import {
  initialTrackerState,
  observeRound,
  type ProbeResult,
  type TrackerEvent,
  type TrackerState,
} from "../../src/domain/probe-tracker.js";

const thresholds = { failureThreshold: 3, recoveryThreshold: 2 };
const INTERVAL = 5_000;

/** Drives the tracker round by round on a controlled clock: each round is `interval` later. */
function tracker(
  start = 1_000_000,
  limits: typeof thresholds & { confirmForMs?: number } = thresholds,
  interval = INTERVAL,
) {
  let state: TrackerState = initialTrackerState();
  let now = start;
  const events: TrackerEvent[] = [];
  return {
    round(results: Record<string, boolean | string>) {
      const list: ProbeResult[] = Object.entries(results).map(([target, r]) => ({
        target,
        ok: r === true,
        at: now,
        detail: r === true ? "ok" : r === false ? "connection refused" : r,
      }));
      const out = observeRound(state, list, now + 10, limits, "dc1");
      state = out.state;
      events.push(...out.events);
      now += interval;
      return out.events;
    },
    get state() {
      return state;
    },
    events,
    now: () => now,
  };
}

describe("the probe tracker", () => {
  it("opens an alert on the third failed round in a row, dated from the first failure", () => {
    const t = tracker();
    t.round({ api: true });
    const firstFailure = t.now();
    expect(t.round({ api: false })).toEqual([]);
    expect(t.round({ api: false })).toEqual([]);
    const [event] = t.round({ api: "no answer within 3000 ms" });
    expect(event?.type).toBe("alert_opened");
    expect(event?.alert.firstFailureAt).toBe(firstFailure);
    expect(event?.alert.openedAt).toBe(firstFailure + 2 * INTERVAL + 10);
    expect(event?.alert.failing).toEqual([
      { target: "api", since: firstFailure, failures: 3, detail: "no answer within 3000 ms" },
    ]);
  });

  it("does not alert when a success interrupts the failures", () => {
    const t = tracker();
    t.round({ api: false });
    t.round({ api: false });
    t.round({ api: true });
    t.round({ api: false });
    t.round({ api: false });
    expect(t.events).toEqual([]);
  });

  it("keeps one alert open however long the failures go on", () => {
    const t = tracker();
    for (let i = 0; i < 10; i++) t.round({ api: false, "app:payments/api": i <= 4 });
    expect(t.events.map((e) => e.type)).toEqual(["alert_opened"]);
    expect(t.state.alert?.failing.map((f) => f.target)).toEqual(["api", "app:payments/api"]);
  });

  it("clears only after every probe succeeded the recovery threshold in a row", () => {
    const t = tracker();
    for (let i = 0; i < 3; i++) t.round({ api: false, web: false });
    t.round({ api: true, web: true });
    t.round({ api: false, web: true });
    t.round({ api: true, web: true });
    expect(t.events.map((e) => e.type)).toEqual(["alert_opened"]);
    const [cleared] = t.round({ api: true, web: true });
    expect(cleared?.type).toBe("alert_cleared");
    expect(cleared?.alert.clearedAt).toBeGreaterThan(cleared!.alert.openedAt);
    expect(t.state.alert).toBeUndefined();
  });

  it("opens a new alert, with a new id, when the primary fails again after recovering", () => {
    const t = tracker();
    for (let i = 0; i < 3; i++) t.round({ api: false });
    for (let i = 0; i < 2; i++) t.round({ api: true });
    for (let i = 0; i < 3; i++) t.round({ api: false });
    const opened = t.events.filter((e) => e.type === "alert_opened");
    expect(opened).toHaveLength(2);
    expect(opened[0]!.alert.id).not.toBe(opened[1]!.alert.id);
  });

  it("continues an alert handed over by another replica instead of opening a second", () => {
    const handed = {
      id: "dc1-abc",
      site: "dc1",
      firstFailureAt: 1,
      openedAt: 2,
      failing: [{ target: "api", since: 1, failures: 3, detail: "refused" }],
    };
    const first = observeRound(
      initialTrackerState(handed),
      [{ target: "api", ok: false, at: 10, detail: "refused" }],
      11,
      thresholds,
      "dc1",
    );
    expect(first.events).toEqual([]);
    expect(first.state.alert?.id).toBe("dc1-abc");
    const ok = (at: number): ProbeResult[] => [{ target: "api", ok: true, at, detail: "ok" }];
    const second = observeRound(first.state, ok(20), 21, thresholds, "dc1");
    const third = observeRound(second.state, ok(30), 31, thresholds, "dc1");
    expect(second.events).toEqual([]);
    expect(third.events.map((e) => [e.type, e.alert.id])).toEqual([["alert_cleared", "dc1-abc"]]);
  });

  it("alerts when two signals are down at once after the threshold", () => {
    const t = tracker();
    t.round({ api: false, web: true });
    t.round({ api: false, web: false });
    t.round({ api: false, web: false });
    expect(t.events).toEqual([]);
    const [event] = t.round({ api: false, web: false });
    expect(event?.type).toBe("alert_opened");
    expect(event?.alert.failing.map((f) => [f.target, f.failures])).toEqual([
      ["api", 4],
      ["web", 3],
    ]);
  });

  it("needs twice the evidence from a signal down alone while the others answer", () => {
    const t = tracker();
    for (let i = 0; i < 5; i++) expect(t.round({ api: false, web: true, db: true })).toEqual([]);
    const [event] = t.round({ api: false, web: true, db: true });
    expect(event?.type).toBe("alert_opened");
    expect(event?.alert.failing).toEqual([expect.objectContaining({ target: "api", failures: 6 })]);
  });

  it("needs the failures to span confirmFor however often it probes", () => {
    const t = tracker(1_000_000, { ...thresholds, confirmForMs: 8_000 }, 1_000);
    const firstFailure = t.now();
    for (let i = 0; i < 8; i++) expect(t.round({ api: false })).toEqual([]);
    const [event] = t.round({ api: false });
    expect(event?.type).toBe("alert_opened");
    expect(event!.alert.openedAt - firstFailure).toBeGreaterThanOrEqual(8_000);
  });

  it("opens no alert for a primary whose probes fail at random one time in five for ten minutes, and reports a real stop after it within 10 s of its first failed round", () => {
    const interval = 2_000;
    const t = tracker(1_000_000, { ...thresholds, confirmForMs: 8_000 }, interval);
    const random = seeded(20_260_101);
    for (let i = 0; i < (10 * 60_000) / interval; i++)
      t.round({ api: random() >= 0.2, web: random() >= 0.2 });
    expect(t.events).toEqual([]);

    // Let every signal answer, then the site stops: every probe fails from the next round on.
    for (let i = 0; i < 3; i++) t.round({ api: true, web: true });
    const stopped = t.now();
    let opened: TrackerEvent | undefined;
    while (!opened && t.now() - stopped <= 60_000) opened = t.round({ api: false, web: false })[0];
    expect(opened?.type).toBe("alert_opened");
    expect(opened!.alert.openedAt - stopped).toBeLessThan(10_000);
  });
});

/** A fixed-seed generator (mulberry32): the same flapping every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}
