import type { DeliveryOutcome } from "./event-log.js";

/**
 * The app's answer to one delivered interaction and how long it took. Slack waits 3 s for the
 * acknowledgement; a later one is an `operation_timeout` for the user and its body is dropped.
 * The emulator keeps listening a while longer only to measure how late the app was.
 */
export interface AppAck {
  outcome: DeliveryOutcome;
  timedOut: boolean;
  /** HTTP status of the app's answer; in Socket Mode 200 for an ack frame, 0 when none came. */
  status: number;
  ackMs: number;
  /** The HTTP body, or the Socket Mode ack's `payload` as JSON text. */
  body: string;
  contentType?: string;
}

export interface AckMessage {
  text?: string;
  blocks?: unknown[];
  response_type?: "ephemeral" | "in_channel";
}

export function classifyAck(
  status: number,
  ackMs: number,
  ackTimeoutMs: number,
): Pick<AppAck, "outcome" | "timedOut"> {
  if (ackMs > ackTimeoutMs) return { outcome: "timeout", timedOut: true };
  return { outcome: status >= 200 && status < 300 ? "acked" : "rejected", timedOut: false };
}

/**
 * The immediate response a slash command's ack carries: JSON with text/blocks/response_type, or
 * plain text shown ephemerally (docs.slack.dev/interactivity/implementing-slash-commands).
 */
export function ackMessage(ack: AppAck): AckMessage | undefined {
  if (ack.outcome !== "acked" || ack.body.trim() === "") return undefined;
  const json = ack.contentType === undefined || ack.contentType.includes("application/json");
  if (!json) return { text: ack.body };
  try {
    const parsed = JSON.parse(ack.body) as AckMessage;
    if (typeof parsed !== "object" || parsed === null) return undefined;
    return parsed.text !== undefined || parsed.blocks !== undefined ? parsed : undefined;
  } catch {
    // Labelled JSON but not JSON: Slack shows such a body as plain text, and so does the emulator.
    return { text: ack.body };
  }
}
