import { formatMs } from "../../domain/duration.js";
import { measureRun } from "../../domain/rto-budgets.js";
import type { RunEvent, RunRecord, StepRecord } from "../../domain/run.js";
import { readableTimeline, runSpan, skipsOf } from "../../domain/run-account.js";
import { describeScope } from "../../domain/scope.js";
import { clip, escapeMrkdwn, LIMITS } from "./block-kit.js";
import { approvalLines, KIND_TITLE, STEP_ICON, said, slackDate, slackTime, user } from "./run-view-parts.js";

/** Steps and timeline entries `/dr show` lists before it points to the report for the rest. */
const SHOWN_STEPS = 40;
const SHOWN_EVENTS = 25;

const words = (state: string) => state.replace(/_/g, " ");

/**
 * `/dr show RUN`: the run as people follow it: what it is and where it stands, who asked and why,
 * approvals (who, when), other decisions with their words, skips (who, why), each step, and a
 * timeline of what happened (time, who, what) in the reader's time zone. Long runs are cut with a
 * pointer to `/dr report`, which has everything.
 */
export function runDetailText(
  run: RunRecord,
  steps: ReadonlyMap<string, StepRecord>,
  events: readonly RunEvent[],
  now: number,
): string {
  const rto = measureRun(run, steps, now);
  // A request that never started has no RTO to tell.
  const started = run.rto.activationStartedAt !== undefined;
  const lines = [
    `*${KIND_TITLE[run.kind]} ${escapeMrkdwn(run.id)}*: *${words(run.state)}*${run.stateReason ? ` (${said(run, run.stateReason)})` : ""}`,
    `${escapeMrkdwn(describeScope(run.scope))} · ${run.mode === "drill" ? "drill" : "real (changes production)"}`,
    `Requested by ${user(run.requestedBy)} at ${slackTime(run.createdAt)}: ${run.reason ? said(run, run.reason) : "_no reason given_"}`,
    `Plan \`${run.plan.hash}\` · ${run.plan.steps.length} steps${started ? ` · RTO ${formatMs(rto.totalMs)} of ${formatMs(rto.targetMs)}${rto.finished ? (rto.met ? " (met)" : " (missed)") : ` (${formatMs(rto.remainingMs)} left)`}` : ""}`,
    "",
    `*Approvals* ${run.approvals.length}/${run.requiredApprovals}`,
    run.approvals.length > 0 ? approvalLines(run.approvals) : "• none yet",
  ];
  const decisions = run.decisions.filter((d) => d.decision !== "approved" && d.decision !== "skipped");
  if (decisions.length > 0)
    lines.push(
      "",
      "*Decisions*",
      ...decisions.map(
        (d) =>
          `• ${d.decision} by ${user(d.userId)} at ${slackTime(d.at)}${d.note ? `: ${said(run, d.note)}` : ""}`,
      ),
    );
  const skips = skipsOf(run, steps);
  if (skips.length > 0)
    lines.push(
      "",
      "*Skips*",
      ...skips.map(
        (s) =>
          `• ${STEP_ICON.skipped} *${escapeMrkdwn(s.title)}* skipped by ${user(s.by)} at ${slackTime(s.at)}: ${said(run, s.reason)}`,
      ),
    );
  lines.push("", "*Steps*");
  for (const step of run.plan.steps.slice(0, SHOWN_STEPS)) {
    const record = steps.get(step.id);
    const status = record?.status ?? "not_started";
    const took =
      record?.startedAt && record.endedAt ? ` (${formatMs(record.endedAt - record.startedAt)})` : "";
    const why = record?.error
      ? `: ${said(run, clip(record.error, 200))}`
      : record?.skipReason
        ? `: ${said(run, record.skipReason)}`
        : "";
    lines.push(`${STEP_ICON[status]} ${escapeMrkdwn(step.title)} · ${words(status)}${took}${why}`);
  }
  if (run.plan.steps.length > SHOWN_STEPS)
    lines.push(
      `… ${run.plan.steps.length - SHOWN_STEPS} more steps: \`/dr report ${run.id}\` lists them all`,
    );
  const timeline = readableTimeline(events, SHOWN_EVENTS);
  lines.push("", "*Timeline*");
  if (timeline.omitted > 0)
    lines.push(`_${timeline.omitted} earlier events left out: \`/dr report ${run.id}\` has them all_`);
  for (const e of timeline.entries)
    lines.push(`• ${slackTime(e.at)} · ${user(e.actor)} · ${said(run, clip(e.text, 300))}`);
  if (timeline.entries.length === 0) lines.push("• nothing recorded yet");
  return clip(lines.join("\n"), LIMITS.messageText);
}

/**
 * `/dr runs`: a line per run, newest first: which run, what and where, when it was asked for and by
 * whom, how long it took (or has been going), and how it ended (or where it stands).
 */
export function runListText(runs: readonly RunRecord[], now: number): string {
  if (runs.length === 0) return "No runs yet.";
  const lines = runs.map((run) => {
    const span = runSpan(run, now);
    const lasted = span.ended
      ? `took ${formatMs(span.durationMs)}`
      : `going for ${formatMs(span.durationMs)}`;
    return `• \`${escapeMrkdwn(run.id)}\` ${KIND_TITLE[run.kind]} of ${escapeMrkdwn(run.scope.applications.join(", "))} · ${slackDate(span.startedAt)} by ${user(run.requestedBy)} · ${lasted} · *${words(run.state)}*`;
  });
  return clip(
    ["*Recent runs* (newest first; `/dr show RUN` tells one)", ...lines].join("\n"),
    LIMITS.messageText,
  );
}
