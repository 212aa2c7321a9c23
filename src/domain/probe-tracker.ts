/**
 * Failure detection of the site that serves, as a pure state machine: rounds of probe results go in
 * (time is passed in), alert transitions come out. The seed's script 06 counts failed checks and acts at three;
 * here a breach opens one alert (never a failover: people decide), and the alert clears only after
 * every probe has succeeded `recoveryThreshold` rounds in a row, so a flapping primary neither
 * floods the channel nor clears an alert between two failures.
 *
 * A breach needs evidence, not a run of bad luck:
 * - over a window of time: a signal (one probe target) is down once it has failed
 *   `failureThreshold` rounds in a row and those failures span at least `confirmForMs`, so probing
 *   more often does not make the alert quicker to fire on noise;
 * - from more than one signal: when the watcher has several (the API server and the applications'
 *   health checks), two of them must be down at once, and at least half of them when there are more
 *   than four (with thirty health checks each failing now and then, two of them having a bad streak
 *   at the same time is no longer rare). Signals that are down without that agreement (a flapping
 *   probe, an API server restarting while the applications serve, one application failing) need
 *   twice the evidence: twice the failures in a row, over twice the time.
 * A primary whose two probes fail at random one time in five then practically never alerts (both
 * failing together three rounds in a row is one chance in 15,000 per round), while a site that
 * stops fails every signal at once and is reported after `failureThreshold` rounds and
 * `confirmForMs`.
 *
 * One open alert at a time: while it is open, further failures update it instead of opening another.
 */
export interface ProbeResult {
  /** Stable name of what was probed, e.g. "api:dc1" or "app:payments/api". */
  target: string;
  ok: boolean;
  /** When the probe started (epoch ms). */
  at: number;
  /** What was seen, for people: "connection refused", "no answer within 3000 ms", "503". */
  detail: string;
}

export interface ProbeThresholds {
  failureThreshold: number;
  recoveryThreshold: number;
  /** How long a signal's failures in a row must span before it counts as down (default 0). */
  confirmForMs?: number;
}

export interface TargetState {
  failures: number;
  successes: number;
  /** Start of the current run of failures. */
  failingSince?: number;
  lastDetail: string;
}

export interface FailingTarget {
  target: string;
  since: number;
  failures: number;
  detail: string;
}

export interface WatchAlert {
  id: string;
  /** The site whose checks breached ("dc1", or "dc1, dc2" when both did). */
  site: string;
  /** The first failed probe of the streak that breached: the start of the RTO's detection phase. */
  firstFailureAt: number;
  /** When the threshold was reached and the alert opened. */
  openedAt: number;
  failing: FailingTarget[];
  clearedAt?: number;
  /**
   * Why it cleared: every check passed again (`recovered`), or none of the failing checks is probed
   * any more because their site no longer serves (`no_longer_serving`: its applications moved).
   */
  clearedBecause?: "recovered" | "no_longer_serving";
}

export interface TrackerState {
  targets: Record<string, TargetState>;
  alert?: WatchAlert;
}

export type TrackerEvent =
  | { type: "alert_opened"; alert: WatchAlert }
  | { type: "alert_cleared"; alert: WatchAlert };

export const initialTrackerState = (alert?: WatchAlert): TrackerState => ({
  targets: {},
  ...(alert ? { alert } : {}),
});

/**
 * Applies one round of results. A round probes everything watched now: targets absent from it are
 * no longer watched (their site stopped serving) and are forgotten. An open alert none of whose
 * failing targets is watched any more clears at once, as no longer serving, not as recovered.
 */
export function observeRound(
  state: TrackerState,
  results: readonly ProbeResult[],
  now: number,
  thresholds: ProbeThresholds,
  /** The site a target probes; the alert names the sites of the targets that breached. */
  siteOf: (target: string) => string,
): { state: TrackerState; events: TrackerEvent[] } {
  const targets: Record<string, TargetState> = {};
  for (const r of results) {
    const before = state.targets[r.target] ?? { failures: 0, successes: 0, lastDetail: "" };
    targets[r.target] = r.ok
      ? { failures: 0, successes: before.successes + 1, lastDetail: r.detail }
      : {
          failures: before.failures + 1,
          successes: 0,
          failingSince: before.failingSince ?? r.at,
          lastDetail: r.detail,
        };
  }
  const failing = failingTargets(targets);
  const events: TrackerEvent[] = [];
  let alert = state.alert;
  if (alert && !alert.failing.some((f) => f.target in targets)) {
    // A breach among what is watched now opens a new alert from the next round on.
    events.push({
      type: "alert_cleared",
      alert: { ...alert, clearedAt: now, clearedBecause: "no_longer_serving" },
    });
    alert = undefined;
  } else if (!alert) {
    const breached = breachedTargets(failing, Object.keys(targets).length, now, thresholds);
    if (breached.length > 0) {
      const firstFailureAt = Math.min(...breached.map((f) => f.since));
      const site = [...new Set(breached.map((f) => siteOf(f.target)))].join(", ");
      alert = { id: alertId(site, firstFailureAt), site, firstFailureAt, openedAt: now, failing };
      events.push({ type: "alert_opened", alert });
    }
  } else {
    const recovered =
      failing.length === 0 &&
      Object.values(targets).every((t) => t.successes >= thresholds.recoveryThreshold);
    if (recovered) {
      events.push({
        type: "alert_cleared",
        alert: { ...alert, clearedAt: now, clearedBecause: "recovered" },
      });
      alert = undefined;
    } else if (failing.length > 0) {
      alert = { ...alert, failing };
    }
  }
  return { state: { targets, ...(alert ? { alert } : {}) }, events };
}

/**
 * The signals whose evidence opens an alert: enough of them down at once (see `agreement`), else
 * those that have been down twice as long (see the top of this file); none otherwise.
 */
function breachedTargets(
  failing: readonly FailingTarget[],
  signals: number,
  now: number,
  thresholds: ProbeThresholds,
): FailingTarget[] {
  const down = (f: FailingTarget, evidence: number) =>
    f.failures >= thresholds.failureThreshold * evidence &&
    now - f.since >= (thresholds.confirmForMs ?? 0) * evidence;
  const agreeing = failing.filter((f) => down(f, 1));
  if (agreeing.length >= agreement(signals)) return agreeing;
  return failing.filter((f) => down(f, 2));
}

/** How many signals must be down at once: the only one, two, or half of them past four. */
export function agreement(signals: number): number {
  return Math.max(Math.min(2, signals), Math.ceil(signals / 2));
}

function failingTargets(targets: Record<string, TargetState>): FailingTarget[] {
  return Object.entries(targets)
    .filter(([, t]) => t.failures > 0)
    .map(([target, t]) => ({
      target,
      since: t.failingSince ?? 0,
      failures: t.failures,
      detail: t.lastDetail,
    }))
    .sort((a, b) => a.target.localeCompare(b.target));
}

/** Readable and unique per streak: the site and the first failure's time. */
export function alertId(site: string, firstFailureAt: number): string {
  return `${site.replace(/, /g, "+")}-${firstFailureAt.toString(36)}`;
}
