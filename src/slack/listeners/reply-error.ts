import type { RespondFn } from "@slack/bolt";
import { ERROR_HEADLINES } from "../../app/error-messages.js";
import { DrError, describeError } from "../../domain/errors.js";
import { escapeMrkdwn } from "../views/block-kit.js";

/** Refusals and errors go to the person who acted, as an ephemeral message; never to the channel. */
export async function replyError(respond: RespondFn, error: unknown): Promise<void> {
  const text =
    error instanceof DrError
      ? `*${ERROR_HEADLINES[error.code]}*: ${escapeMrkdwn(error.message)}`
      : `*drbot hit an internal error*: ${escapeMrkdwn(describeError(error))}`;
  await respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => undefined);
}
