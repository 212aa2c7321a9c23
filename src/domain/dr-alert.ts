import { formatMs } from "./duration.js";
import type { AlertKind } from "./notifications-config.js";
import type { WatchAlert } from "./probe-tracker.js";
import type { TierRpo } from "./rpo.js";
import { sourceLine, tierHeadline } from "./rpo-text.js";
import type { RunRecord, RunState } from "./run.js";
import { describeScope } from "./scope.js";

/**
 * An alert for people, whatever carries it (email, Alertmanager, PagerDuty, Slack): what happened,
 * how bad, and a stable key so the receiver groups a firing alert with its resolution. Pure: the
 * builders below turn the watcher's alert, an RPO reading or a run's outcome into one.
 */
export interface DrAlert {
  /** Stable per condition: "watch:<alert id>", "rpo:<tier>", "lag:<source>", "run:<run id>". */
  key: string;
  kind: AlertKind;
  status: "firing" | "resolved";
  severity: "critical" | "warning" | "info";
  /** One line: an email subject, an alert summary. */
  summary: string;
  /** What a person needs to act, one fact a line. */
  details: string[];
  at: number;
  /** Labels for Alertmanager and PagerDuty's custom details (site, tier, source, run, state). */
  labels: Record<string, string>;
}

export function watchAlert(
  alert: WatchAlert,
  applications: readonly string[],
  status: DrAlert["status"],
  remedy: "failover" | "failback" = "failover",
): DrAlert {
  const since = new Date(alert.firstFailureAt).toISOString();
  const moved = alert.clearedBecause === "no_longer_serving";
  return {
    key: `watch:${alert.id}`,
    kind: "watch",
    status,
    severity: status === "firing" ? "critical" : "info",
    summary:
      status === "firing"
        ? `Serving site ${alert.site} is down (failing since ${since})`
        : moved
          ? `Site ${alert.site} no longer serves: its applications moved`
          : `Serving site ${alert.site} answers again`,
    details: [
      ...alert.failing.map((f) => `${f.target}: ${f.detail}`),
      `affected applications: ${applications.join(", ") || "none"}`,
      ...(status === "firing"
        ? [
            `drbot never ${remedy === "failover" ? "fails over" : "fails back"} by itself: request a ${remedy} from Slack or the CLI (drbot run ${remedy} …)`,
          ]
        : []),
    ],
    at: status === "firing" ? alert.openedAt : (alert.clearedAt ?? alert.openedAt),
    labels: { site: alert.site, alert: alert.id },
  };
}

/** The RPO alert of a tier: firing while it is not green (late, unknown, over target), resolved when it is. */
export function rpoAlert(tier: TierRpo, at: number): DrAlert {
  const firing = !tier.withinTarget && !tier.unprotected;
  return {
    key: `rpo:${tier.tier}`,
    kind: "rpo",
    status: firing ? "firing" : "resolved",
    severity: firing ? (tier.state === "unknown" ? "warning" : "critical") : "info",
    summary: firing
      ? `RPO of ${tier.tier} is at risk: ${tierHeadline(tier)}`
      : `RPO of ${tier.tier} is back within design`,
    details: tier.sources.map(sourceLine),
    at,
    labels: { tier: tier.tier, state: tier.state },
  };
}

/** The lag alert of a replicated source: firing while its lag is over its threshold (or unknown). */
export function lagAlert(
  source: { name: string; lagAlertMs: number },
  lagMs: number | undefined,
  detail: string,
  at: number,
): DrAlert {
  const firing = lagMs === undefined || lagMs > source.lagAlertMs;
  return {
    key: `lag:${source.name}`,
    kind: "lag",
    status: firing ? "firing" : "resolved",
    severity: firing ? "critical" : "info",
    summary: firing
      ? lagMs === undefined
        ? `Replication lag of ${source.name} is unknown`
        : `Replication lag of ${source.name} is ${formatMs(lagMs)}, over ${formatMs(source.lagAlertMs)}`
      : `Replication lag of ${source.name} is back under ${formatMs(source.lagAlertMs)}`,
    details: [detail],
    at,
    labels: { source: source.name },
  };
}

const OUTCOME: Partial<Record<RunState, { severity: DrAlert["severity"]; words: string }>> = {
  failed: { severity: "critical", words: "failed" },
  aborted: { severity: "warning", words: "was aborted" },
  completed_with_exceptions: { severity: "warning", words: "completed with exceptions" },
  completed: { severity: "info", words: "completed" },
};

/** A run's outcome, once it has one; undefined while it runs (or for requests nobody approved). */
export function runOutcomeAlert(run: RunRecord, at: number): DrAlert | undefined {
  const outcome = OUTCOME[run.state];
  if (!outcome) return undefined;
  return {
    key: `run:${run.id}`,
    kind: "run",
    // A failure stays open until a person deals with it; the other outcomes are reports.
    status: run.state === "failed" ? "firing" : "resolved",
    severity: outcome.severity,
    summary: `${run.plan.runbookTitle} (${run.mode}) ${outcome.words}: ${run.scope.applications.join(", ")}`,
    details: [
      `run ${run.id}, requested by ${run.requestedBy}${run.reason ? `: ${run.reason}` : ""}`,
      `scope: ${describeScope(run.scope)}`,
      ...(run.stateReason ? [`why: ${run.stateReason}`] : []),
      `details: drbot show ${run.id}, drbot report ${run.id}`,
    ],
    at,
    labels: { run: run.id, runbook: run.runbook, state: run.state, mode: run.mode },
  };
}
