import { formatMs } from "../../domain/duration.js";
import { measureRun, type RtoBudgetPhase } from "../../domain/rto-budgets.js";
import type { RunRecord, StepRecord } from "../../domain/run.js";
import { type Block, clip, context, divider, escapeMrkdwn, fields, section } from "./block-kit.js";
import { approvalLines } from "./run-view-parts.js";

/** The summary under a finished run's progress: outcome, the RTO phases against the target, approvals. */
export function summaryBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): Block[] {
  const rto = measureRun(run, steps, now);
  const spent = (phase: RtoBudgetPhase, ms: number | undefined) => {
    const use = rto.phases.find((p) => p.phase === phase)!;
    return ms === undefined
      ? "—"
      : `${formatMs(ms)} of ${formatMs(use.budgetMs)}${use.over ? " ⚠️ over" : ""}`;
  };
  const failures = run.plan.steps.filter((s) =>
    ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
  );
  return [
    divider(),
    section(
      `*Summary*: ${run.state.replace(/_/g, " ")}${run.stateReason ? ` (${escapeMrkdwn(clip(run.stateReason, 500))})` : ""}`,
    ),
    fields([
      `*Detection*\n${run.rto.detectedAt === undefined ? formatMs(rto.detectionMs) : spent("detection", rto.detectionMs)}`,
      `*Decision*\n${spent("decision", rto.decisionMs)}`,
      `*Activation*\n${spent("activation", rto.activationMs)}${rto.waitingMs > 0 ? `\n+ ${formatMs(rto.waitingMs)} waiting for people` : ""}`,
      `*Validation*\n${spent("validation", rto.validationMs)}`,
      `*RTO*\n${formatMs(rto.totalMs)} against ${formatMs(rto.targetMs)}${rto.met === undefined ? "" : rto.met ? " ✅" : " ❌"}`,
      `*Approved by*\n${approvalLines(run.approvals) || "—"}`,
    ]),
    context([
      failures.length ? `Failed: ${failures.map((f) => escapeMrkdwn(f.id)).join(", ")}` : "No failed steps",
      `Report: \`/dr report ${run.id}\``,
    ]),
  ];
}
