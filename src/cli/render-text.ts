import { formatMs } from "../domain/duration.js";
import { namePeople, nameWithId, peopleOf } from "../domain/people.js";
import { describePlacement } from "../domain/placement.js";
import { findingLine, VERDICT_WORDS } from "../domain/readiness/readiness-text.js";
import { needsReadinessAcceptance } from "../domain/readiness/run-readiness.js";
import { sourceLine, sourcesByConcern, tierHeadline } from "../domain/rpo-text.js";
import { describeOverrun, measureRun } from "../domain/rto-budgets.js";
import type { Plan, RunEvent, RunRecord, StepRecord } from "../domain/run.js";
import { readableTimeline, runSpan, skipsOf } from "../domain/run-account.js";
import { ANNOTATION } from "../domain/run-annotations.js";
import { describeScope } from "../domain/scope.js";
import { groupServing, type ServingReading } from "../domain/site-state.js";
import type { StatusReport } from "../domain/status-report.js";
import { describeCondition } from "../domain/step-condition.js";
import { describeUndo } from "../domain/undo-rule.js";
import { readinessText } from "./readiness-text.js";

/** Plain-text views for the terminal; the JSON output is the records themselves. */
export function planText(plan: Plan): string {
  const lines = [`Plan ${plan.hash}: ${plan.runbookTitle} (${plan.mode}) for ${describeScope(plan.scope)}`];
  for (const step of plan.steps) {
    lines.push(
      `  ${step.id.padEnd(40)} ${step.summary}${step.when ? ` (${describeCondition(step.when)})` : ""}`,
    );
    const undo = describeUndo(step);
    if (undo) lines.push(`  ${"".padEnd(40)} ↩ ${undo}`);
  }
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
  lines.push(`active runs: ${report.activeRuns.length}`, ...report.activeRuns.map((r) => runLine(r)));
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

/** A time on the terminal: UTC to the second, "2025-01-10 03:00:05Z". */
export const utc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");

/**
 * `drbot runs` and status's active runs: id, state, kind, start, how long it took (or, given `now`,
 * has gone on), scope, requester.
 */
export function runLine(run: RunRecord, now?: number): string {
  const span = runSpan(run, now ?? run.updatedAt);
  const lasted = span.ended
    ? formatMs(span.durationMs)
    : now !== undefined
      ? `for ${formatMs(span.durationMs)}`
      : "";
  return `${run.id.padEnd(34)} ${run.state.padEnd(26)} ${run.kind.padEnd(9)} ${utc(span.startedAt)}  ${lasted.padEnd(10)} ${run.scope.applications.join(",")}  by ${run.requestedBy}`;
}

/** `drbot runs`: a header, then a line per run, newest first. */
export function runsText(runs: readonly RunRecord[], now: number): string {
  if (runs.length === 0) return "no runs yet";
  const header = `${"RUN".padEnd(34)} ${"OUTCOME".padEnd(26)} ${"KIND".padEnd(9)} ${"STARTED (UTC)".padEnd(20)}  ${"TOOK".padEnd(10)} SCOPE`;
  return [header, ...runs.map((r) => runLine(r, now))].join("\n");
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
  /** Display names of the people the run records (from the directory); IDs where absent. */
  names: ReadonlyMap<string, string> = new Map(),
): string {
  const rto = measureRun(run, steps, now);
  const who = (id: string) => nameWithId(names, id);
  const said = (text: string) => namePeople(text, peopleOf(run, steps), who);
  const lines = [
    `Run ${run.id}: ${run.plan.runbookTitle} (${run.mode})`,
    `  state:     ${run.state}${run.stateReason ? ` (${said(run.stateReason)})` : ""}`,
    `  scope:     ${describeScope(run.scope)}`,
    `  requested: by ${who(run.requestedBy)} at ${utc(run.createdAt)}: ${run.reason || "(no reason given)"}`,
    `  plan:      ${run.plan.hash}`,
    ...readinessOfRun(run),
    `  approvals: ${run.approvals.length}/${run.requiredApprovals}`,
    ...run.approvals.map(
      (a) =>
        `    ${who(a.userId)} at ${utc(a.at)}${a.acceptedDataLoss ? " (accepted the data loss)" : ""}${a.acceptedNotReady ? " (accepted not ready)" : ""}`,
    ),
    ...run.decisions
      .filter((d) => d.decision !== "approved" && d.decision !== "skipped")
      .map(
        (d) =>
          `  ${d.decision.padEnd(10)} by ${who(d.userId)} at ${utc(d.at)}${d.note ? `: ${oneLine(d.note)}` : ""}`,
      ),
    ...skipsOf(run, steps).map(
      (s) => `  skipped:   ${s.stepId} by ${who(s.by)} at ${utc(s.at)}: ${oneLine(s.reason)}`,
    ),
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
  const timeline = readableTimeline(events, TIMELINE_SHOWN);
  if (timeline.entries.length > 0) {
    lines.push("  timeline (UTC):");
    if (timeline.omitted > 0)
      lines.push(
        `    … ${timeline.omitted} earlier events left out: \`drbot report ${run.id}\` has them all`,
      );
    for (const e of timeline.entries)
      lines.push(`    ${utc(e.at)}  ${who(e.actor).padEnd(14)} ${oneLine(said(e.text))}`);
  }
  return lines.join("\n");
}

/** Timeline entries `drbot show` prints before it points to the report for the rest. */
const TIMELINE_SHOWN = 40;

/** The scope's readiness as the run read it, and the flag approving it takes when it is not ready. */
function readinessOfRun(run: RunRecord): string[] {
  const r = run.readiness;
  if (!r) return [];
  if (!r.read) return [`  readiness: ${oneLine(r.detail)}`];
  const accept = needsReadinessAcceptance(run) ? " (approve with --accept-not-ready, which accepts it)" : "";
  return [
    `  readiness: ${VERDICT_WORDS[r.verdict]}, round of ${utc(r.readAt)}${accept}`,
    ...r.findings.map((f) => `    ${VERDICT_WORDS[f.verdict]}: ${f.application} ${oneLine(findingLine(f))}`),
    ...(r.omitted > 0 ? [`    and ${r.omitted} more (drbot status ${run.scope.applications[0] ?? ""})`] : []),
  ];
}
