import type { BufferedIncomingMessage } from "@slack/bolt";
import { z } from "zod";
import {
  readSubmission,
  type SignedSlackRequest,
  type SlackStatement,
} from "../domain/evidence/slack-request.js";
import type { Witness } from "../ports/evidence.js";

/**
 * What proves who acted in Slack: in HTTP mode, the request exactly as Slack signed it (raw body,
 * timestamp, signature), taken from the receiver before Bolt parses it and kept with the request or
 * the approval, so the engine can check Slack's signature again with the signing secret. In Socket
 * Mode Slack signs nothing: what Slack said is kept as `socket-mode`, which counts only while
 * `approvals.trustSocketMode` is on (src/domain/evidence/proof.ts).
 */

/** The name under which the receiver puts the signed request in each listener's context. */
export const SIGNED_REQUEST = "drbotSignedRequest";

/** For HTTPReceiver's customPropertiesExtractor: the request as signed, read from the raw body. */
export function signedRequestOf(req: BufferedIncomingMessage): Record<string, SignedSlackRequest> {
  const timestamp = req.headers["x-slack-request-timestamp"];
  const signature = req.headers["x-slack-signature"];
  if (typeof timestamp !== "string" || typeof signature !== "string") return {};
  return { [SIGNED_REQUEST]: { body: req.rawBody.toString("utf8"), timestamp, signature } };
}

const signedRequestSchema = z.object({ body: z.string(), timestamp: z.string(), signature: z.string() });

const commandBody = z.object({
  user_id: z.string(),
  command: z.string(),
  text: z.string().optional(),
  channel_id: z.string().optional(),
  trigger_id: z.string().optional(),
});

const actionBody = z.object({
  user: z.object({ id: z.string() }),
  channel: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

/**
 * The witness of a listener's request: the signed request the receiver kept (HTTP mode), else what
 * Slack said over Socket Mode, dated `now`.
 */
export function slackWitness(
  context: Readonly<Record<string, unknown>>,
  body: unknown,
  now: number,
): Witness {
  const signed = signedRequestSchema.safeParse(context[SIGNED_REQUEST]);
  if (signed.success) return { proof: { via: "slack", request: signed.data } };
  return { proof: { via: "socket-mode", statement: socketStatement(body, now) } };
}

function socketStatement(body: unknown, at: number): SlackStatement {
  const command = commandBody.safeParse(body);
  if (command.success)
    return {
      kind: "command",
      userId: command.data.user_id,
      command: command.data.command,
      text: command.data.text ?? "",
      channelId: command.data.channel_id ?? "",
      triggerId: command.data.trigger_id ?? "",
      at,
    };
  if (typeof body === "object" && body !== null && (body as { type?: unknown }).type === "view_submission") {
    const submission = readSubmission(body as Record<string, unknown>, at);
    if (submission) return submission;
  }
  const action = actionBody.parse(body);
  const [first] = action.actions;
  return {
    kind: "action",
    userId: action.user.id,
    actionId: first?.action_id ?? "",
    value: first?.value ?? "",
    ...(action.channel ? { channelId: action.channel.id } : {}),
    at,
  };
}
