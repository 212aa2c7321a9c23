import { createHmac } from "node:crypto";

/**
 * Slack's request signing (v0): `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" +
 * body))` with `X-Slack-Request-Timestamp: ts` in whole seconds. The exact bytes sent are signed.
 * A `SigningForgery` bends one part, so tests can check the app refuses what Slack would not send:
 * the wrong secret, a stale or future timestamp, a made-up signature, or no headers at all.
 */
export interface SigningForgery {
  /** Sign with this secret instead of the app's. */
  signingSecret?: string;
  /** Shift the timestamp, e.g. -301 for one just past Bolt's five-minute replay window. */
  timestampOffsetSec?: number;
  /** Send this signature verbatim instead of computing one. */
  signature?: string;
  /** Send neither header. */
  omitHeaders?: boolean;
}

export function signSlackRequest(
  signingSecret: string,
  timestampSec: number,
  body: string,
): { "x-slack-signature": string; "x-slack-request-timestamp": string } {
  const digest = createHmac("sha256", signingSecret).update(`v0:${timestampSec}:${body}`).digest("hex");
  return { "x-slack-signature": `v0=${digest}`, "x-slack-request-timestamp": String(timestampSec) };
}

export function signatureHeaders(
  signingSecret: string,
  nowMs: number,
  body: string,
  forgery: SigningForgery = {},
): Record<string, string> {
  if (forgery.omitHeaders) return {};
  const timestampSec = Math.floor(nowMs / 1000) + (forgery.timestampOffsetSec ?? 0);
  const headers = signSlackRequest(forgery.signingSecret ?? signingSecret, timestampSec, body);
  if (forgery.signature !== undefined) headers["x-slack-signature"] = forgery.signature;
  return headers;
}
