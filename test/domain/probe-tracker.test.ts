import { describe, expect, it } from "vitest";
import {
  agreement,
  initialTrackerState,
  observeRound,
  type ProbeResult,
  type TrackerEvent,
  type TrackerState,
} from "../../src/domain/probe-tracker.js";
import { seededRandom } from "../support/seeded-random.js";

const thresholds = { failureThreshold: 3, recoveryThreshold: 2 };
const INTERVAL = 5_000;
/** Targets name their site after a colon ("api:dc2"); the others probe dc1. */
const siteOf = (target: string) => target.split(":")[1] ?? "dc1";

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
      const out = observeRound(state, list, now + 10, limits, siteOf);
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
    expect(cleared?.alert.clearedBecause).toBe("recovered");
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
      siteOf,
    );
    expect(first.events).toEqual([]);
    expect(first.state.alert?.id).toBe("dc1-abc");
    const ok = (at: number): ProbeResult[] => [{ target: "api", ok: true, at, detail: "ok" }];
    const second = observeRound(first.state, ok(20), 21, thresholds, siteOf);
    const third = observeRound(second.state, ok(30), 31, thresholds, siteOf);
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
    const random = seededRandom(20_260_101);
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

  it("names the site whose checks breached", () => {
    const t = tracker();
    for (let i = 0; i < 3; i++) t.round({ "api:dc1": true, "api:dc2": false, "app:dc2": false });
    expect(t.state.alert).toMatchObject({ site: "dc2", id: expect.stringMatching(/^dc2-/) });
  });

  it("clears an alert at once, as no longer serving rather than recovered, once its failing checks are not probed", () => {
    const t = tracker();
    for (let i = 0; i < 3; i++) t.round({ "api:dc1": false });
    // The failover moved the applications: the watcher probes dc2 now, and dc1 is still down.
    const [cleared] = t.round({ "api:dc2": true });
    expect(cleared).toMatchObject({
      type: "alert_cleared",
      alert: { site: "dc1", clearedBecause: "no_longer_serving" },
    });
    expect(Object.keys(t.state.targets)).toEqual(["api:dc2"]);
    for (let i = 0; i < 3; i++) t.round({ "api:dc2": false });
    expect(t.events.map((e) => e.type)).toEqual(["alert_opened", "alert_cleared", "alert_opened"]);
    expect(t.state.alert?.site).toBe("dc2");
  });
});

/**
 * The rule, round by round on an injected clock: each signal's results as a string, one character
 * per round (`x` failed, `.` answered), the rounds `interval` apart; the alert opens on round
 * `opensAt` (counted from 1) naming `failing`, or never (`opensAt: undefined`).
 */
interface RuleCase {
  rule: string;
  rounds: Record<string, string>;
  interval?: number;
  confirmForMs?: number;
  opensAt: number | undefined;
  failing?: string[];
}

const x = (n: number) => "x".repeat(n);
const ok = (n: number) => ".".repeat(n);
const others = (n: number, results: string) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`other${i}`, results]));

const RULE: RuleCase[] = [
  { rule: "the only signal, failureThreshold rounds in a row", rounds: { api: x(3) }, opensAt: 3 },
  { rule: "the only signal, interrupted by an answer", rounds: { api: "xx.xx" }, opensAt: undefined },
  {
    rule: "two signals down together",
    rounds: { api: x(3), web: x(3) },
    opensAt: 3,
    failing: ["api", "web"],
  },
  {
    rule: "two signals down, one a round later",
    rounds: { api: x(4), web: `.${x(3)}` },
    opensAt: 4,
    failing: ["api", "web"],
  },
  {
    rule: "one of two down, twice the rounds",
    rounds: { api: x(6), web: ok(6) },
    opensAt: 6,
    failing: ["api"],
  },
  {
    rule: "one of two down, one round short of twice",
    rounds: { api: `${x(5)}.`, web: ok(6) },
    opensAt: undefined,
  },
  {
    rule: "an application's check down alone, twice the rounds",
    rounds: { api: ok(6), web: x(6) },
    opensAt: 6,
    failing: ["web"],
  },
  {
    rule: "two signals failing in turn, never together long enough",
    rounds: { api: "xx.xx.xx.", web: ".xx.xx.xx" },
    opensAt: undefined,
  },
  {
    rule: "the only signal over confirmFor, probed every second",
    rounds: { api: x(10) },
    interval: 1_000,
    confirmForMs: 8_000,
    opensAt: 9,
  },
  {
    rule: "two signals together over confirmFor, not before it",
    rounds: { api: x(8), web: x(8) },
    interval: 1_000,
    confirmForMs: 8_000,
    opensAt: undefined,
  },
  {
    rule: "two signals together over confirmFor",
    rounds: { api: x(9), web: x(9) },
    interval: 1_000,
    confirmForMs: 8_000,
    opensAt: 9,
    failing: ["api", "web"],
  },
  {
    rule: "one of two over twice confirmFor",
    rounds: { api: x(17), web: ok(17) },
    interval: 1_000,
    confirmForMs: 8_000,
    opensAt: 17,
    failing: ["api"],
  },
  {
    rule: "confirmFor shorter than the rounds: the rounds decide",
    rounds: { api: x(3), web: x(3) },
    confirmForMs: 1_000,
    opensAt: 3,
    failing: ["api", "web"],
  },
  {
    rule: "2 of 6 signals down: not half of them",
    rounds: { api: x(5), app0: x(5), ...others(4, ok(5)) },
    opensAt: undefined,
  },
  {
    rule: "2 of 6 down, twice the rounds",
    rounds: { api: x(6), app0: x(6), ...others(4, ok(6)) },
    opensAt: 6,
    failing: ["api", "app0"],
  },
  {
    rule: "3 of 6 signals down together",
    rounds: { api: x(3), app0: x(3), app1: x(3), ...others(3, ok(3)) },
    opensAt: 3,
    failing: ["api", "app0", "app1"],
  },
  { rule: "every one of 31 signals down together", rounds: { api: x(3), ...others(30, x(3)) }, opensAt: 3 },
];

describe("the rule that opens an alert", () => {
  it.each(RULE)("$rule", ({ rounds, interval = INTERVAL, confirmForMs, opensAt, failing }) => {
    const t = tracker(
      1_000_000,
      { ...thresholds, ...(confirmForMs !== undefined ? { confirmForMs } : {}) },
      interval,
    );
    const length = Math.max(...Object.values(rounds).map((r) => r.length));
    let opened: { round: number; event: TrackerEvent } | undefined;
    for (let i = 0; i < length; i++) {
      const round = Object.fromEntries(Object.entries(rounds).map(([target, r]) => [target, r[i] !== "x"]));
      const [event] = t.round(round);
      if (event && !opened) opened = { round: i + 1, event };
    }
    expect(opened?.round).toBe(opensAt);
    if (opened) {
      expect(opened.event.type).toBe("alert_opened");
      if (failing) expect(opened.event.alert.failing.map((f) => f.target)).toEqual(failing);
    }
  });

  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 2],
    [5, 3],
    [6, 3],
    [31, 16],
  ])("with %i signals, %i must be down at once", (signals, needed) => {
    expect(agreement(signals)).toBe(needed);
  });
});
