import { approvalsMissing, describeRpoRisk } from "../../domain/approval.js";
import { dataLossKey } from "../../domain/data-loss.js";
import { formatMs } from "../../domain/duration.js";
import { needsReadinessAcceptance, readinessKey } from "../../domain/readiness/run-readiness.js";
import type { TierRpo } from "../../domain/rpo.js";
import { sourceLine, sourcesByConcern, tierHeadline } from "../../domain/rpo-text.js";
import type { PlanStep, RunRecord } from "../../domain/run.js";
import { approveValue } from "../../domain/slack-actions.js";
import { describeCondition } from "../../domain/step-condition.js";
import { undoNote } from "../../domain/undo-rule.js";
import {
  actions,
  type Block,
  button,
  clip,
  context,
  escapeMrkdwn,
  fields,
  header,
  LIMITS,
  section,
  type View,
  withinBlockBudget,
} from "./block-kit.js";
import { readinessCardText } from "./readiness-lines.js";
import { neverStarted } from "./run-summary.js";
import { ACTION, approvalLines, KIND_TITLE, said, slackDate, slackTime, user } from "./run-view-parts.js";
import { servingLines } from "./serving-lines.js";

/**
 * The approval card: what the run will do (steps, targets, pinned backup), the data at risk against
 * the tier's RPO, who asked and why, approvals so far, and Approve / Reject bound to the plan's hash.
 * Once decided, the buttons give way to the decision.
 */

/**
 * The data at risk for the card's field: the tier's headline (within design, late, unknown, over
 * target) and the sources that make it so, or, when all is well, the source carrying the data.
 */
export function exposureText(exposure: TierRpo | undefined): string {
  if (!exposure) return "no data sources protect this scope";
  const icon = exposure.withinTarget ? "" : ":warning: ";
  const concerns = sourcesByConcern(exposure).filter((s) => s.state === "late" || s.state === "unknown");
  const lines = concerns.slice(0, 5).map((s) => `• ${clip(sourceLine(s), 200)}`);
  return clip(
    escapeMrkdwn([`${icon}${exposure.tier}: ${tierHeadline(exposure)}`, ...lines].join("\n")),
    LIMITS.field,
  );
}

export function approvalCard(run: RunRecord, now: number, exposure?: TierRpo): View {
  const title = `${KIND_TITLE[run.kind]} requested: ${run.scope.applications.join(", ")} (${run.scope.fromSite} → ${run.scope.toSite})`;
  const blocks: Block[] = [
    header(title),
    fields([
      `*Requested by*\n${user(run.requestedBy)}`,
      `*Reason*\n${escapeMrkdwn(run.reason || "(none given)")}`,
      `*Mode*\n${run.mode === "drill" ? "drill" : "real (changes production)"}`,
      `*Targets*\nRTO ${formatMs(run.tierRtoMs)} · RPO ${formatMs(run.tierRpoMs)}`,
      `*Data at risk now*\n${exposure ? exposureText(exposure) : run.rpoExposureMs !== undefined ? formatMs(run.rpoExposureMs) : "not measured"}`,
      `*Approvals*\n${run.approvals.length}/${run.requiredApprovals}${run.approvals.length ? `\n${approvalLines(run.approvals)}` : ""}`,
      `*Expires*\n${slackDate(run.expiresAt)}`,
      `*Plan*\n\`${run.plan.hash}\` · ${run.plan.steps.length} steps`,
    ]),
    section(planLines(run.plan.steps)),
  ];
  const where = whereLines(run);
  if (where) blocks.splice(2, 0, section(where));
  if (run.rpoRisk)
    blocks.splice(
      2,
      0,
      section(
        `:rotating_light: *This failover loses data.* It would lose ${escapeMrkdwn(describeRpoRisk(run.rpoRisk))}. Each approver must accept that loss explicitly.`,
      ),
    );
  if (run.restorePoints?.length) blocks.push(section(restorePointLines(run, now)));
  if (Object.keys(run.plan.pins).length > 0)
    blocks.push(
      context([
        `Pinned: ${Object.entries(run.plan.pins)
          .map(([k, v]) => `${escapeMrkdwn(k)}=${escapeMrkdwn(v)}`)
          .join(" · ")}`,
      ]),
    );
  const readiness = readinessCardText(run);
  if (readiness) blocks.push(section(readiness));
  const tail: Block[] = [];
  if (run.state === "pending_approval" && now < run.expiresAt) {
    tail.push(
      // No confirm dialog on Approve: Slack's client draws one for whoever clicks, the requester
      // included, and would invite them to approve. drbot checks each click instead: the requester
      // or a non-approver gets an explanation and nothing is recorded but the refusal in the audit
      // trail; what a dialog told an approver (the plan, what is still needed) is on the card above.
      context([
        `Approving approves plan \`${run.plan.hash.slice(0, 12)}\` as shown${acceptingText(run)}: ${approvalsMissing(run)} approval(s) still needed, from approvers other than ${user(run.requestedBy)}.`,
      ]),
      actions(`approval:${run.id}`, [
        approveButton(run),
        // Reject opens a modal that asks why: it is the confirmation, and the requester is told the reason.
        button("Reject…", ACTION.reject, run.id, { style: "danger" }),
      ]),
    );
  } else {
    tail.push(context([decisionLine(run)]));
  }
  return {
    text: clip(`${title}: ${run.approvals.length}/${run.requiredApprovals} approvals`, LIMITS.messageText),
    blocks: withinBlockBudget(blocks, tail),
  };
}

/**
 * Approve, bound to the plan's hash and naming what the approver accepts: a data loss beyond the RPO,
 * a scope that is not ready, or both. A plain Approve when there is nothing to accept. No confirm
 * dialog: Slack would show it to the requester too (the context line above the buttons says it all).
 */
function approveButton(run: RunRecord) {
  const notReady = needsReadinessAcceptance(run) && run.readiness ? readinessKey(run.readiness) : undefined;
  const dataLoss = run.rpoRisk ? dataLossKey(run.rpoRisk) : undefined;
  const value = approveValue({
    runId: run.id,
    planHash: run.plan.hash,
    ...(dataLoss ? { acceptsDataLoss: dataLoss } : {}),
    ...(notReady ? { acceptsNotReady: notReady } : {}),
  });
  if (!dataLoss && !notReady) return button("Approve", ACTION.approve, value, { style: "primary" });
  const label =
    dataLoss && notReady
      ? "Approve, accepting data loss and not ready"
      : dataLoss
        ? "Approve, accepting data loss"
        : "Approve, accepting not ready";
  return button(label, ACTION.approve, value, { style: "danger" });
}

/** ", accepting the data loss and the not-ready readiness above", or nothing to accept. */
function acceptingText(run: RunRecord): string {
  const accepted = [
    run.rpoRisk ? "the data loss" : "",
    needsReadinessAcceptance(run) ? "the not-ready readiness" : "",
  ].filter(Boolean);
  return accepted.length > 0 ? `, accepting ${accepted.join(" and ")} above` : "";
}

/**
 * Which site serves the scope's applications (so approvers see where this run moves them from), and
 * the applications added because they share a DNS record with the ones asked for.
 */
function whereLines(run: RunRecord): string | undefined {
  const lines: string[] = [];
  if (run.serving?.length) lines.push("*Serving now*", ...servingLines(run.serving));
  for (const shared of run.scope.shared ?? [])
    lines.push(
      `:link: ${escapeMrkdwn(shared.applications.join(", "))} included: ${shared.applications.length > 1 ? "they share" : "it shares"} DNS record \`${escapeMrkdwn(shared.record)}\` with the scope (--with-shared)`,
    );
  return lines.length > 0 ? clip(lines.join("\n"), LIMITS.sectionText) : undefined;
}

/** Recent backups per schedule, newest first, with the one this plan restores marked. */
function restorePointLines(run: RunRecord, now: number): string {
  const pinned = run.plan.pins.backup;
  const lines = ["*Restore points* (newest first; `/dr failover … --backup NAME` picks another)"];
  for (const entry of run.restorePoints ?? []) {
    if (entry.detail) {
      lines.push(`${escapeMrkdwn(entry.schedule)}: ${escapeMrkdwn(entry.detail)}`);
      continue;
    }
    if (entry.backups.length === 0) {
      lines.push(`${escapeMrkdwn(entry.schedule)}: :warning: no backup at all`);
      continue;
    }
    const chosen = pinned ?? entry.backups.find((b) => b.good)?.name;
    for (const b of entry.backups)
      lines.push(
        `${b.name === chosen ? "➡️" : b.good ? "▫️" : "✖️"} \`${escapeMrkdwn(b.name)}\` ${slackDate(b.dataAt)} (${formatMs(now - b.dataAt)} ago) ${escapeMrkdwn(b.phase)}${b.good ? "" : ", not usable"}${b.name === chosen ? (pinned ? " *← pinned*" : " *← will be restored*") : ""}`,
      );
  }
  return clip(lines.join("\n"), LIMITS.sectionText);
}

function decisionLine(run: RunRecord): string {
  switch (run.state) {
    case "pending_approval":
      return `Expired at ${slackDate(run.expiresAt)}`;
    case "rejected":
    case "expired":
      return neverStarted(run);
    case "aborted":
      return run.rto.approvedAt === undefined
        ? neverStarted(run)
        : `*aborted*${run.stateReason ? `: ${said(run, run.stateReason)}` : ""}`;
    default:
      return `*Approved* by ${run.approvals.map((a) => `${user(a.userId)} at ${slackTime(a.at)}`).join(", ")}; the run is ${run.state.replace(/_/g, " ")}`;
  }
}

function planLines(steps: readonly PlanStep[]): string {
  const lines: string[] = [];
  let used = 0;
  for (const [i, step] of steps.entries()) {
    const only = step.when ? ` _(${escapeMrkdwn(describeCondition(step.when))})_` : "";
    const undo = undoNote(step);
    const line = `${i + 1}. *${escapeMrkdwn(clip(step.title, 80))}*${only}: ${escapeMrkdwn(clip(step.summary, 140))}${undo ? ` ↩️ _${escapeMrkdwn(undo)}_` : ""}`;
    if (used + line.length + 60 > LIMITS.sectionText) {
      lines.push(`… and ${steps.length - i} more step(s); \`/dr show\` lists them all`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join("\n") || "(no steps)";
}
