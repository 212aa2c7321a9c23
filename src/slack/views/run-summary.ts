import { formatMs } from "../../domain/duration.js";
import { measureRto } from "../../domain/rto.js";
import type { RunRecord, StepRecord } from "../../domain/run.js";
import { type Block, clip, context, divider, escapeMrkdwn, fields, section } from "./block-kit.js";
import { approvalLines } from "./run-view-parts.js";

/** The summary under a finished run's progress: outcome, the RTO phases against the target, approvals. */
export function summaryBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): Block[] {
  const rto = measureRto(run.rto, run.tierRtoMs, now);
  const failures = run.plan.steps.filter((s) =>
    ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
  );
  return [
    divider(),
    section(
      `*Summary*: ${run.state.replace(/_/g, " ")}${run.stateReason ? ` (${escapeMrkdwn(clip(run.stateReason, 500))})` : ""}`,
    ),
    fields([
      `*Detection*\n${formatMs(rto.detectionMs)}`,
      `*Decision*\n${rto.decisionMs !== undefined ? formatMs(rto.decisionMs) : "—"}`,
      `*Activation*\n${rto.activationMs !== undefined ? formatMs(rto.activationMs) : "—"}`,
      `*Validation*\n${rto.validationMs !== undefined ? formatMs(rto.validationMs) : "—"}`,
      `*RTO*\n${formatMs(rto.totalMs)} against ${formatMs(rto.targetMs)}${rto.met === undefined ? "" : rto.met ? " ✅" : " ❌"}`,
      `*Approved by*\n${approvalLines(run.approvals) || "—"}`,
    ]),
    context([
      failures.length ? `Failed: ${failures.map((f) => escapeMrkdwn(f.id)).join(", ")}` : "No failed steps",
      `Report: \`/dr report ${run.id}\``,
    ]),
  ];
}
