import { formatMs } from "../../domain/duration.js";
import { RTO_PHASE_MEANING } from "../../domain/rto.js";
import { measureRun, type RtoBudgetPhase } from "../../domain/rto-budgets.js";
import { isTerminal, type RunRecord, type StepRecord } from "../../domain/run.js";
import { runEffects, runStarted, UNDO_TEXT } from "../../domain/run-effects.js";
import { type Block, clip, context, divider, escapeMrkdwn, fields, LIMITS, section } from "./block-kit.js";
import { approvalLines, clockAt, said, slackDate } from "./run-view-parts.js";

/**
 * The summary under a finished (or paused) run's progress: the outcome in words, what the run
 * changed and whether each change was undone, the RTO phases against their budgets with what each
 * phase covers, approvals. A request that never started gets one line: nothing was changed.
 */
export function summaryBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): Block[] {
  if (!runStarted(steps)) return [divider(), section(neverStarted(run))];
  return [divider(), ...outcomeBlocks(run, steps), ...rtoBlocks(run, steps, now)];
}

/** The outcome and, unless the run completed as planned, each change it made and what became of it. */
export function outcomeBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>): Block[] {
  const reason = run.stateReason ? `: ${said(run, clip(run.stateReason, 500))}` : "";
  const blocks = [section(`*Summary*: ${OUTCOME[run.state] ?? run.state.replace(/_/g, " ")}${reason}`)];
  if (run.state !== "completed") blocks.push(whatChanged(run, steps));
  return blocks;
}

/** Each change the run made, and whether it was undone (a paused run's too: what an abort undoes). */
export function whatChanged(run: RunRecord, steps: ReadonlyMap<string, StepRecord>): Block {
  const effects = runEffects(run, steps);
  const lines = effects.map(
    (e) =>
      `${UNDO_ICON[e.undo]} *${escapeMrkdwn(e.effect)}*: ${escapeMrkdwn(clip(e.title, 90))}${e.status === "succeeded" ? "" : ` _(${e.status.replace(/_/g, " ")}, may be partial)_`}: ${UNDO_TEXT[e.undo]}`,
  );
  return section(
    lines.length > 0
      ? clip(["*What changed*", ...lines].join("\n"), LIMITS.sectionText)
      : "*What changed*: nothing; no step that changes a site had started.",
  );
}

function rtoBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): Block[] {
  const rto = measureRun(run, steps, clockAt(run, now));
  const spent = (phase: RtoBudgetPhase, ms: number | undefined) => {
    const use = rto.phases.find((p) => p.phase === phase)!;
    return ms === undefined
      ? "—"
      : `${formatMs(ms)} of ${formatMs(use.budgetMs)}${use.over ? " ⚠️ over" : ""}`;
  };
  const byPerson = run.rto.detectedAt === undefined;
  const failures = run.plan.steps.filter((s) =>
    ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
  );
  const total = rto.finished
    ? `${formatMs(rto.totalMs)} against ${formatMs(rto.targetMs)}${rto.met ? " ✅" : " ❌"}`
    : isTerminal(run.state)
      ? `not restored: stopped after ${formatMs(rto.totalMs)} of ${formatMs(rto.targetMs)}`
      : `${formatMs(rto.totalMs)} of ${formatMs(rto.targetMs)} so far`;
  return [
    fields([
      `*Detection*\n${byPerson ? "0 (a person started this run)" : spent("detection", rto.detectionMs)}`,
      `*Decision*\n${spent("decision", rto.decisionMs)}`,
      `*Activation*\n${spent("activation", rto.activationMs)}${rto.waitingMs > 0 ? `\n+ ${formatMs(rto.waitingMs)} waiting for people` : ""}`,
      `*Validation*\n${spent("validation", rto.validationMs)}`,
      `*RTO*\n${total}`,
      `*Approved by*\n${approvalLines(run.approvals) || "—"}`,
    ]),
    context([
      `*Detection* ${byPerson ? "is 0: a person started this run, no alert did; otherwise it is " : "is "}${RTO_PHASE_MEANING.detection}. *Decision*: ${RTO_PHASE_MEANING.decision}. *Activation*: ${RTO_PHASE_MEANING.activation}. *Validation*: ${RTO_PHASE_MEANING.validation}.`,
    ]),
    context([
      failures.length ? `Failed: ${failures.map((f) => escapeMrkdwn(f.id)).join(", ")}` : "No failed steps",
      `Report: \`/dr report ${run.id}\``,
    ]),
  ];
}

/** A request that never ran a step: why it ended, and that nothing changed. No RTO, no report. */
export function neverStarted(run: RunRecord): string {
  const reason = run.stateReason ? `: ${said(run, clip(run.stateReason, 500))}` : "";
  switch (run.state) {
    case "rejected":
      return `*Rejected*${reason}. Nothing was changed.`;
    case "expired":
      return `*Expired* at ${slackDate(run.expiresAt)} without the approvals it needed. Nothing was changed.`;
    case "aborted":
      return run.rto.approvedAt === undefined
        ? `*Withdrawn* before it was approved${reason}. Nothing was changed.`
        : `*Aborted* before any step ran${reason}. Nothing was changed.`;
    default:
      return `*${OUTCOME[run.state] ?? run.state.replace(/_/g, " ")}* before any step ran${reason}. Nothing was changed.`;
  }
}

const OUTCOME: Partial<Record<RunRecord["state"], string>> = {
  completed: "completed",
  completed_with_exceptions: "completed with exceptions",
  failed: "failed",
  aborted: "aborted",
  paused_failed_step: "paused on a failed step",
  paused_by_operator: "paused by an operator",
};

const UNDO_ICON: Record<keyof typeof UNDO_TEXT, string> = {
  in_effect: "✅",
  undone: "↩️",
  withheld: "⛔",
  undo_failed: "⚠️",
  not_undone: "⚠️",
  undo_pending: "▪️",
  kept: "▪️",
};
