import { formatMs } from "../domain/duration.js";
import { describePlacement } from "../domain/placement.js";
import { sourceLine, sourcesByConcern, tierHeadline } from "../domain/rpo-text.js";
import { describeOverrun, measureRun } from "../domain/rto-budgets.js";
import type { Plan, RunEvent, RunRecord, StepRecord } from "../domain/run.js";
import { ANNOTATION } from "../domain/run-annotations.js";
import { describeScope } from "../domain/scope.js";
import { groupServing, type ServingReading } from "../domain/site-state.js";
import type { StatusReport } from "../domain/status-report.js";
import { describeCondition } from "../domain/step-condition.js";
import { readinessText } from "./readiness-text.js";

/** Plain-text views for the terminal; the JSON output is the records themselves. */
export function planText(plan: Plan): string {
  const lines = [`Plan ${plan.hash}: ${plan.runbookTitle} (${plan.mode}) for ${describeScope(plan.scope)}`];
  for (const step of plan.steps)
    lines.push(
      `  ${step.id.padEnd(40)} ${step.summary}${step.when ? ` (${describeCondition(step.when)})` : ""}`,
    );
  return lines.join("\n");
}

/** `drbot status`: both sites, RPO per tier with the reason each unknown source is unknown, runs, warnings. */
export function statusText(report: StatusReport): string {
  const lines = [
    ...report.sites.map(
      (site) =>
        `${site.site.padEnd(8)} ${site.role.padEnd(8)} ${site.reachable ? `up, ${site.readyNodes}/${site.nodes.length} nodes Ready, ${site.version}` : `DOWN: ${oneLine(site.error?.message ?? "")}`}`,
    ),
  ];
  if (report.serving) lines.push("serving:", ...servingText(report.serving));
  lines.push(...readinessText(report.readiness, report.scope));
  lines.push("RPO per tier:");
  for (const t of report.rpo) {
    lines.push(`  ${t.tier}: ${tierHeadline(t)}`);
    for (const source of sourcesByConcern(t)) lines.push(`    ${oneLine(sourceLine(source))}`);
  }
  if (report.placement) lines.push(`drbot runs in: ${describePlacement(report.placement)}`);
  lines.push(`active runs: ${report.activeRuns.length}`, ...report.activeRuns.map(runLine));
  lines.push(...report.warnings.map((w) => `warning: ${w}`));
  return lines.join("\n");
}

/** "  payments, core-api  dc2 since 2026-12-03T03:12:00.000Z (failover-…, by U0ONCALL)", or why unknown. */
function servingText(reading: ServingReading): string[] {
  if (!reading.read) return [`  unknown: ${oneLine(reading.detail)}`];
  return groupServing(reading.applications).map(
    (g) =>
      `  ${g.applications.join(", ")}: ${g.site}${g.home ? " (home)" : ""}${g.move ? ` since ${new Date(g.move.at).toISOString()} (${g.move.runId}, by ${g.move.by})` : ""}`,
  );
}

/** What a server said, on one line: no control characters reach the terminal (no escape sequences). */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

export function runLine(run: RunRecord): string {
  return `${run.id.padEnd(34)} ${run.state.padEnd(26)} ${run.kind.padEnd(9)} ${run.scope.applications.join(",")}  by ${run.requestedBy}`;
}

const ICON: Record<StepRecord["status"], string> = {
  not_started: "·",
  running: "▶",
  waiting: "⏸",
  succeeded: "✓",
  failed: "✗",
  timed_out: "⏱",
  skipped: "↷",
};

export function runText(
  run: RunRecord,
  steps: ReadonlyMap<string, StepRecord>,
  now: number,
  events: RunEvent[] = [],
): string {
  const rto = measureRun(run, steps, now);
  const lines = [
    `Run ${run.id}: ${run.plan.runbookTitle} (${run.mode})`,
    `  state:     ${run.state}${run.stateReason ? ` (${run.stateReason})` : ""}`,
    `  scope:     ${describeScope(run.scope)}`,
    `  requested: by ${run.requestedBy}: ${run.reason || "(no reason given)"}`,
    `  plan:      ${run.plan.hash}`,
    `  approvals: ${run.approvals.length}/${run.requiredApprovals}${run.approvals.length ? ` (${run.approvals.map((a) => a.userId).join(", ")})` : ""}`,
    `  RTO:       ${formatMs(rto.totalMs)} of ${formatMs(rto.targetMs)}${rto.finished ? (rto.met ? " (met)" : " (missed)") : ` (${formatMs(rto.remainingMs)} left)`}`,
    ...(rto.overruns.length > 0 ? [`  over:      ${rto.overruns.map(describeOverrun).join("; ")}`] : []),
    ...(rto.waitingMs > 0
      ? [`  waiting:   ${formatMs(rto.waitingMs)} for people (apart from activation)`]
      : []),
    ...(run.annotations[ANNOTATION.slackUpdates]
      ? [`  slack:     updates ${run.annotations[ANNOTATION.slackUpdates]}`]
      : []),
    "  steps:",
  ];
  for (const step of run.plan.steps) {
    const record = steps.get(step.id);
    const status = record?.status ?? "not_started";
    const took = record?.startedAt && record.endedAt ? ` ${formatMs(record.endedAt - record.startedAt)}` : "";
    lines.push(
      `    ${ICON[status]} ${step.id.padEnd(40)} ${status}${took}${record?.error ? `: ${record.error}` : ""}`,
    );
  }
  if (events.length > 0) {
    lines.push("  timeline:");
    for (const e of events.slice(-30))
      lines.push(
        `    ${new Date(e.at).toISOString()} ${e.actor.padEnd(14)} ${e.type}${e.stepId ? ` ${e.stepId}` : ""} ${compact(e.data)}`,
      );
  }
  return lines.join("\n");
}

function compact(data: Record<string, unknown>): string {
  const text = JSON.stringify(data);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
