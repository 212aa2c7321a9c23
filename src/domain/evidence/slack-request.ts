import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto";

/**
 * A request Slack signed (a slash command, a button click), kept whole: the raw body, its timestamp
 * and Slack's signature over both. Anyone holding the app's signing secret can check it again later,
 * and nobody without the secret can make one, so a stored copy proves who clicked what even when
 * everything around it (Redis) is not trusted.
 */
export interface SignedSlackRequest {
  body: string;
  /** X-Slack-Request-Timestamp: Unix seconds, as sent. */
  timestamp: string;
  /** X-Slack-Signature: `v0=` and 64 hex digits. */
  signature: string;
}

/** The only signature form drbot accepts: Bolt's own parser would also take `v0=<hex>=anything`. */
export const SLACK_SIGNATURE = /^v0=([0-9a-f]{64})$/;
/** X-Slack-Request-Timestamp as Slack sends it: whole Unix seconds, no sign, no leading zero. */
export const SLACK_TIMESTAMP = /^[1-9][0-9]{0,11}$/;

/** What a signed request says, once its signature is checked. */
export type SlackStatement =
  | {
      kind: "command";
      userId: string;
      command: string;
      text: string;
      channelId: string;
      triggerId: string;
      at: number;
    }
  | { kind: "action"; userId: string; actionId: string; value: string; channelId?: string; at: number }
  /** A modal submitted: which modal (callback id), what it was about, and the inputs as typed, by action id. */
  | {
      kind: "submission";
      userId: string;
      callbackId: string;
      privateMetadata: string;
      values: Record<string, string>;
      at: number;
    };

export type SlackRequestCheck = { ok: true; statement: SlackStatement } | { ok: false; reason: string };

/** The hex digest a well-formed signature carries, or undefined. */
export function slackSignatureDigest(signature: string): string | undefined {
  return SLACK_SIGNATURE.exec(signature)?.[1];
}

/** Slack's v0 signature of a body at a timestamp. */
export function signSlackRequest(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/**
 * Whether `digest` (the 64 hex digits of a well-formed signature) is Slack's v0 signature of the
 * body at the timestamp, compared in constant time. The secret may be a KeyObject made once: a
 * crowd of requests then costs one HMAC each, not a key set-up and three HMACs as Bolt's check does.
 */
export function slackSignatureMatches(
  secret: string | KeyObject,
  timestamp: string,
  body: string | Buffer,
  digest: string,
): boolean {
  const expected = createHmac("sha256", secret).update(`v0:${timestamp}:`).update(body).digest();
  const given = Buffer.from(digest, "hex");
  return given.length === expected.length && timingSafeEqual(expected, given);
}

/**
 * Checks the signature with the signing secret and reads who did what. Only the first action of a
 * block_actions payload counts (Slack sends one per click); a view_submission says which modal and
 * what was typed in it.
 */
export function readSignedSlackRequest(request: SignedSlackRequest, secret: string): SlackRequestCheck {
  const digest = slackSignatureDigest(request.signature);
  if (!digest) return { ok: false, reason: "the Slack signature is not v0= followed by 64 hex digits" };
  if (!SLACK_TIMESTAMP.test(request.timestamp))
    return { ok: false, reason: "the Slack timestamp is not a time" };
  if (!slackSignatureMatches(secret, request.timestamp, request.body, digest))
    return { ok: false, reason: "Slack's signature does not match the request" };
  const at = Number(request.timestamp) * 1000;
  const statement = readSlackBody(request.body, at);
  return statement
    ? { ok: true, statement }
    : { ok: false, reason: "the signed request is not a /dr command, a click or a modal submitted" };
}

/** What a (signed or, in Socket Mode, unsigned) request body says; undefined when it is neither kind. */
export function readSlackBody(body: string, at: number): SlackStatement | undefined {
  const form = new URLSearchParams(body);
  const payload = form.get("payload");
  if (payload !== null) return readActionPayload(payload, at);
  const userId = form.get("user_id");
  const command = form.get("command");
  if (!userId || !command) return undefined;
  return {
    kind: "command",
    userId,
    command,
    text: form.get("text") ?? "",
    channelId: form.get("channel_id") ?? "",
    triggerId: form.get("trigger_id") ?? "",
    at,
  };
}

function readActionPayload(payload: string, at: number): SlackStatement | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // A payload that is not JSON states no action: the proof proves nothing, which the caller refuses.
    return undefined;
  }
  if (isRecord(parsed) && parsed.type === "view_submission") return readSubmission(parsed, at);
  if (!isRecord(parsed) || parsed.type !== "block_actions") return undefined;
  const user = isRecord(parsed.user) ? parsed.user.id : undefined;
  const action = Array.isArray(parsed.actions) && isRecord(parsed.actions[0]) ? parsed.actions[0] : undefined;
  const channel = isRecord(parsed.channel) ? parsed.channel.id : undefined;
  if (typeof user !== "string" || !action || typeof action.action_id !== "string") return undefined;
  return {
    kind: "action",
    userId: user,
    actionId: action.action_id,
    value: typeof action.value === "string" ? action.value : "",
    ...(typeof channel === "string" ? { channelId: channel } : {}),
    at,
  };
}

/** A view_submission: the modal's callback id and private metadata, and each text input's value. */
export function readSubmission(parsed: Record<string, unknown>, at: number): SlackStatement | undefined {
  const user = isRecord(parsed.user) ? parsed.user.id : undefined;
  const view = isRecord(parsed.view) ? parsed.view : undefined;
  if (typeof user !== "string" || !view || typeof view.callback_id !== "string") return undefined;
  const values: Record<string, string> = {};
  const state = isRecord(view.state) && isRecord(view.state.values) ? view.state.values : {};
  for (const block of Object.values(state))
    if (isRecord(block))
      for (const [actionId, input] of Object.entries(block))
        if (isRecord(input) && typeof input.value === "string") values[actionId] = input.value;
  return {
    kind: "submission",
    userId: user,
    callbackId: view.callback_id,
    privateMetadata: typeof view.private_metadata === "string" ? view.private_metadata : "",
    values,
    at,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
