import type { DrAlert } from "../../domain/dr-alert.js";

/**
 * Wire formats for alert receivers, as pure functions: Alertmanager's API v2 (POST /api/v2/alerts, a
 * list of alerts with labels, annotations, startsAt and endsAt) and PagerDuty's Events API v2
 * (trigger and resolve by dedup_key), and the text of an email.
 */
const ALERT_NAME: Record<DrAlert["kind"], string> = {
  watch: "DrbotPrimaryDown",
  rpo: "DrbotRpoAtRisk",
  lag: "DrbotReplicationLagHigh",
  run: "DrbotRunOutcome",
};

/** Firing alerts end a day ahead unless drbot resolves them first (Alertmanager needs an end, or re-sends). */
const FIRING_FOR_MS = 86_400_000;

export function alertmanagerPayload(alert: DrAlert, now: number): unknown[] {
  return [
    {
      labels: {
        alertname: ALERT_NAME[alert.kind],
        severity: alert.severity,
        service: "drbot",
        drbot_key: alert.key,
        ...alert.labels,
      },
      annotations: { summary: alert.summary, description: alert.details.join("\n") },
      startsAt: new Date(alert.at).toISOString(),
      endsAt: new Date(alert.status === "firing" ? now + FIRING_FOR_MS : now).toISOString(),
    },
  ];
}

const PAGERDUTY_SEVERITY: Record<DrAlert["severity"], string> = {
  critical: "critical",
  warning: "warning",
  info: "info",
};

export function pagerDutyPayload(alert: DrAlert, routingKey: string): Record<string, unknown> {
  const base = { routing_key: routingKey, dedup_key: alert.key.slice(0, 255) };
  if (alert.status === "resolved") return { ...base, event_action: "resolve" };
  return {
    ...base,
    event_action: "trigger",
    payload: {
      summary: alert.summary.slice(0, 1024),
      source: "drbot",
      severity: PAGERDUTY_SEVERITY[alert.severity],
      timestamp: new Date(alert.at).toISOString(),
      component:
        alert.labels.site ?? alert.labels.tier ?? alert.labels.source ?? alert.labels.runbook ?? "drbot",
      class: ALERT_NAME[alert.kind],
      custom_details: { details: alert.details, ...alert.labels },
    },
  };
}

export function emailSubject(alert: DrAlert, prefix: string): string {
  const status = alert.status === "firing" ? alert.severity.toUpperCase() : "RESOLVED";
  // One line: a subject with a line break would start a header of its own.
  return `${prefix ? `${prefix} ` : ""}${status}: ${alert.summary}`.replace(/[\r\n]+/g, " ").slice(0, 250);
}

export function emailText(alert: DrAlert): string {
  return [
    alert.summary,
    "",
    ...alert.details.map((d) => `- ${d}`),
    "",
    `${alert.status === "firing" ? "since" : "at"} ${new Date(alert.at).toISOString()}`,
    ...Object.entries(alert.labels).map(([k, v]) => `${k}: ${v}`),
    `key: ${alert.key}`,
    "",
    "Sent by drbot, also when Slack is unreachable.",
  ].join("\n");
}
