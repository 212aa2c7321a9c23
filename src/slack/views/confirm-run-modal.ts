import { formatMs } from "../../domain/duration.js";
import type { KeptRound } from "../../domain/readiness/kept-round.js";
import { openFindings, type ReadinessVerdict, worstVerdict } from "../../domain/readiness/readiness.js";
import type { TierRpo } from "../../domain/rpo.js";
import type { Plan } from "../../domain/run.js";
import {
  CONFIRM_RUN,
  type ConfirmedRequest,
  confirmationName,
  encodeConfirmation,
} from "../../domain/run-confirmation.js";
import { exposureText } from "./approval-card.js";
import { type Block, clip, escapeMrkdwn, fields, LIMITS, section } from "./block-kit.js";

/**
 * The modal a real failover or failback is confirmed in: what it will do (the plan), the data at
 * risk, the readiness verdict with its open findings, and an input where the requester types the
 * scope's name. The request itself rides in private_metadata, so the signed submission says exactly
 * what was confirmed. Until the data at risk is read, the modal says so and asks nothing: the input
 * and the submit button come with the readings.
 */
export interface ConfirmRunModalInput {
  request: ConfirmedRequest;
  plan: Plan;
  /**
   * The scope's worst tier reading; undefined when no source protects it; "reading" while it is
   * read; `unreadable` when reading it failed.
   */
  exposure: TierRpo | undefined | "reading" | { unreadable: string };
  /** The readiness round kept, as read (undefined when this process reads no readiness). */
  readiness: KeptRound | undefined;
  now: number;
}

export interface ModalView {
  type: "modal";
  callback_id: string;
  private_metadata: string;
  title: { type: "plain_text"; text: string };
  close: { type: "plain_text"; text: string };
  submit?: { type: "plain_text"; text: string };
  blocks: Array<Block | InputBlock>;
}

interface InputBlock {
  type: "input";
  block_id: string;
  label: { type: "plain_text"; text: string };
  hint: { type: "plain_text"; text: string };
  element: {
    type: "plain_text_input";
    action_id: string;
    placeholder: { type: "plain_text"; text: string };
  };
}

const PLAN_LINES = 15;
const FINDINGS = 6;
const VERDICT_WORDS: Record<ReadinessVerdict, string> = {
  ready: ":large_green_circle: ready",
  degraded: ":large_yellow_circle: degraded",
  unknown: ":white_circle: unknown (a check could not read)",
  not_ready: ":red_circle: not ready",
};

export function confirmRunModal(input: ConfirmRunModalInput): ModalView {
  const { request, plan } = input;
  const name = confirmationName(request.targets);
  const verb = request.kind === "failover" ? "Fail over" : "Fail back";
  const scope = plan.scope;
  const reading = input.exposure === "reading";
  const blocks: Array<Block | InputBlock> = [
    section(
      `*Real ${request.kind}* of ${escapeMrkdwn(scope.applications.join(", "))} (${scope.fromSite} → ${scope.toSite}). This changes production: traffic moves once it is approved.`,
    ),
    fields([
      `*Reason*\n${escapeMrkdwn(request.reason)}`,
      `*Plan*\n\`${plan.hash.slice(0, 12)}\` · ${plan.steps.length} steps`,
      ...(scope.shared?.length
        ? [`*Taken along*\n${escapeMrkdwn(scope.shared.map((s) => s.applications.join(", ")).join("; "))}`]
        : []),
    ]),
    section(planLines(plan)),
    section(`*Data at risk*\n${dataAtRisk(input.exposure)}`),
    section(readinessText(input.readiness, scope.applications, input.now)),
  ];
  if (!reading)
    blocks.push({
      type: "input",
      block_id: CONFIRM_RUN.block,
      label: { type: "plain_text", text: clip(`Type ${name} to confirm`, 2000) },
      hint: {
        type: "plain_text",
        text: "Exactly as shown. Nothing is requested until you do; approvals are still needed after.",
      },
      element: {
        type: "plain_text_input",
        action_id: CONFIRM_RUN.input,
        placeholder: { type: "plain_text", text: clip(name, 150) },
      },
    });
  return {
    type: "modal",
    callback_id: CONFIRM_RUN.callbackId,
    private_metadata: encodeConfirmation(request),
    title: {
      type: "plain_text",
      text: request.kind === "failover" ? "Confirm failover" : "Confirm failback",
    },
    close: { type: "plain_text", text: "Cancel" },
    ...(reading ? {} : { submit: { type: "plain_text" as const, text: verb } }),
    blocks,
  };
}

/** What the requester is told under the input when the typed name is not the scope's. */
export function mismatchError(request: Pick<ConfirmedRequest, "targets">): string {
  return `Type ${confirmationName(request.targets)} exactly to confirm. Nothing was requested.`;
}

function dataAtRisk(exposure: ConfirmRunModalInput["exposure"]): string {
  if (exposure === "reading") return "Reading the data sources…";
  if (exposure && "unreadable" in exposure)
    return `:warning: could not be read (${clip(escapeMrkdwn(exposure.unreadable), 300)}): the data at risk is not known`;
  return exposureText(exposure);
}

function planLines(plan: Plan): string {
  const lines = plan.steps
    .slice(0, PLAN_LINES)
    .map((s, i) => `${i + 1}. ${clip(escapeMrkdwn(s.title), 150)}`);
  const more = plan.steps.length > PLAN_LINES ? `\n… ${plan.steps.length - PLAN_LINES} more steps` : "";
  return clip(`*What it will do*\n${lines.join("\n")}${more}`, LIMITS.sectionText);
}

function readinessText(kept: KeptRound | undefined, applications: readonly string[], now: number) {
  if (!kept) return "*Readiness*\nNot assessed by this drbot: the DR site's readiness is not known.";
  if (kept.state === "not_assessed")
    return "*Readiness*\nNo readiness round has been kept yet: the DR site's readiness is not known.";
  if (kept.state === "unread")
    return `*Readiness*\n:warning: the kept round ${clip(escapeMrkdwn(kept.detail), 300)}: the DR site's readiness is not known.`;
  const report = kept.report;
  const stale = kept.stale ? " :warning: stale: the leader has not kept a newer round" : "";
  const mine = report.applications.filter((a) => applications.includes(a.application));
  const verdict = worstVerdict(mine.map((a) => a.verdict));
  const findings = openFindings(report, applications);
  const lines = findings
    .slice(0, FINDINGS)
    .map((f) => `• ${escapeMrkdwn(f.application)} · ${f.check}: ${clip(escapeMrkdwn(f.summary), 200)}`);
  const more = findings.length > FINDINGS ? `\n… ${findings.length - FINDINGS} more findings` : "";
  return clip(
    `*Readiness*: ${VERDICT_WORDS[verdict]} (read ${formatMs(Math.max(0, now - report.readAt))} ago)${stale}${lines.length ? `\n${lines.join("\n")}` : ""}${more}`,
    LIMITS.sectionText,
  );
}

/**
 * The modal as it opens, at once with the command's trigger id (Slack honours it for 3 s), before the
 * plan is made: it asks nothing yet. Updated with the confirmation, or with why there is none.
 */
export function confirmRunNotice(request: ConfirmedRequest, text: string): ModalView {
  return {
    type: "modal",
    callback_id: CONFIRM_RUN.callbackId,
    private_metadata: encodeConfirmation(request),
    title: {
      type: "plain_text",
      text: request.kind === "failover" ? "Confirm failover" : "Confirm failback",
    },
    close: { type: "plain_text", text: "Close" },
    blocks: [section(clip(text, LIMITS.sectionText))],
  };
}
