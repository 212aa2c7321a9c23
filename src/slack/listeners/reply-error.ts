import type { RespondFn } from "@slack/bolt";
import {
  ERROR_HEADLINES,
  errorReference,
  refusalText,
  unexpectedErrorText,
} from "../../app/error-messages.js";
import { DrError } from "../../domain/errors.js";
import type { LogContext, Logger } from "../../ports/logger.js";
import { escapeMrkdwn } from "../views/block-kit.js";

/** What a listener was doing and for whom, for the log line of a failure. */
export interface ListenerContext extends LogContext {
  /** e.g. "slack.command.failover", "slack.action.dr:approve". */
  operation: string;
  user?: string;
  channel?: string;
}

/**
 * Refusals and errors go to the person who acted, as an ephemeral message; never to the channel.
 * A DrError is a refusal or a known failure, told with its headline and message. Anything else is
 * unexpected: it is logged with a short reference, and the person gets that reference (not the
 * internals), which the operators find in drbot's logs.
 */
export async function replyError(
  respond: RespondFn,
  error: unknown,
  log: Logger,
  context: ListenerContext,
): Promise<void> {
  const text =
    error instanceof DrError && error.code !== "internal"
      ? `*${ERROR_HEADLINES[error.code]}*: ${escapeMrkdwn(refusalText(error, "slack"))}`
      : logUnexpected(error, log, context);
  await answerEphemeral(respond, text, log, context);
}

/** Logs an unexpected failure with a new reference; returns the words for the person, with that reference. */
export function logUnexpected(error: unknown, log: Logger, context: ListenerContext): string {
  const ref = errorReference();
  log.error(`unexpected failure in ${context.operation} (ref ${ref})`, { ...context, ref, err: error });
  return unexpectedErrorText(ref);
}

/** An ephemeral answer to the person who acted; when it cannot be delivered, the log is told instead. */
export async function answerEphemeral(
  respond: RespondFn,
  text: string,
  log: Logger,
  context: ListenerContext,
): Promise<void> {
  try {
    await respond({ response_type: "ephemeral", replace_original: false, text });
  } catch (error) {
    log.warn("could not answer the person in Slack", { ...context, err: error });
  }
}
