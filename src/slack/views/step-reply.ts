import { formatMs } from "../../domain/duration.js";
import type { PlanStep, StepRecord } from "../../domain/run.js";
import { clip, escapeMrkdwn, LIMITS, section, type View } from "./block-kit.js";
import { STEP_ICON, slackTime, user } from "./run-view-parts.js";

/** One thread reply per finished step: status, duration, output (already redacted and truncated). */
export function stepReply(step: PlanStep, record: StepRecord): View {
  const took = record.startedAt && record.endedAt ? ` in ${formatMs(record.endedAt - record.startedAt)}` : "";
  const head = `${STEP_ICON[record.status]} *${escapeMrkdwn(step.title)}* ${record.status.replace(/_/g, " ")}${took}${record.attempts > 1 ? ` (attempt ${record.attempts})` : ""}${record.resolvedBy === "observed" ? " (observed after a takeover)" : ""}${record.skipped ? ` by ${user(record.skipped.by)}: ${escapeMrkdwn(clip(record.skipped.reason, 500))}` : ""}${record.undone ? ", then undone ↩️" : ""}${record.undoWithheld ? ", kept: not undone past its point of no return" : ""}`;
  // Who ticked what, as people and times Slack renders for each reader: it stands for a checklist's
  // own output, which says the same with raw IDs and UTC times.
  const ticks = (record.attestations ?? []).map(
    (a) => `✓ ${escapeMrkdwn(clip(a.item, 200))}: ${user(a.userId)} at ${slackTime(a.at)}`,
  );
  const output = ticks.length > 0 && step.kind === "checklist" ? undefined : record.output;
  const body = [
    record.error ? `*Error*: ${escapeMrkdwn(clip(record.error, 800))}` : "",
    ticks.length > 0 ? clip(ticks.join("\n"), 2400) : "",
    output ? `\`\`\`${clip(output.replace(/```/g, "'''"), 2400)}\`\`\`` : "",
  ]
    .filter(Boolean)
    .join("\n");
  return {
    text: clip(`${step.title}: ${record.status}`, LIMITS.messageText),
    blocks: [section(head), ...(body ? [section(body)] : [])],
  };
}
