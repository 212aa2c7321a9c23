import { z } from "zod";
import type { RunRecord } from "../../domain/run.js";
import { REJECT_REASON_INPUT, RUN_VIEW } from "../../domain/slack-actions.js";
import { clip, escapeMrkdwn } from "./block-kit.js";
import { KIND_TITLE, user } from "./run-view-parts.js";

/** "failover", "DR drill": a run's kind inside a sentence. */
const kindWords = (run: RunRecord) =>
  run.kind === "drill" ? KIND_TITLE.drill : KIND_TITLE[run.kind].toLowerCase();

/** The longest reason a rejection keeps (the input refuses more, and so does the parser). */
export const REJECT_REASON_MAX = 500;

/** What the reject modal carries between the click and the submission: the run, and where the card is. */
export const rejectMetadata = z
  .string()
  .max(300)
  .transform((raw) => raw.split("|"))
  .pipe(z.tuple([z.string().regex(/^[a-zA-Z0-9._-]{1,120}$/), z.string().regex(/^[A-Z0-9]{1,40}$/)]));

/** The reason as submitted: optional, trimmed, at most REJECT_REASON_MAX characters. */
export const rejectReason = z
  .string()
  .trim()
  .max(REJECT_REASON_MAX, `at most ${REJECT_REASON_MAX} characters`)
  .optional();

/**
 * The modal Reject opens: what is being rejected, and an optional reason the requester is told. It
 * is the confirmation a dialog used to be, with room for the why; submitting it is the signed,
 * proven rejection (src/app/verified-evidence.ts checks the submission names this run and reason).
 */
export function rejectModal(run: RunRecord, channel: string) {
  return {
    type: "modal" as const,
    callback_id: RUN_VIEW.reject,
    private_metadata: `${run.id}|${channel}`,
    title: { type: "plain_text" as const, text: "Reject the request" },
    submit: { type: "plain_text" as const, text: "Reject" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: clip(
            `Reject \`${run.id}\`: ${kindWords(run)} of ${escapeMrkdwn(run.scope.applications.join(", "))}, requested by ${user(run.requestedBy)}. The request ends; someone must ask again. ${user(run.requestedBy)} is told in the card's thread, with your reason.`,
            3000,
          ),
        },
      },
      {
        type: "input",
        block_id: REJECT_REASON_INPUT,
        optional: true,
        label: { type: "plain_text", text: "Why (optional)" },
        element: {
          type: "plain_text_input",
          action_id: REJECT_REASON_INPUT,
          multiline: true,
          max_length: REJECT_REASON_MAX,
          placeholder: { type: "plain_text", text: "e.g. wrong scope: payments only" },
        },
      },
    ],
  };
}

/** The thread reply that tells the requester their request was rejected, by whom and why. */
export function rejectedReply(run: RunRecord, by: string, reason: string | undefined): string {
  return `${user(run.requestedBy)}: your ${kindWords(run)} request \`${run.id}\` was rejected by ${user(by)}${reason ? `: ${escapeMrkdwn(reason)}` : " (no reason given)"}.`;
}
