import { createSecretKey, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTPModuleFunctions, type HTTPReceiver, isRawBodyError } from "@slack/bolt";
import { actsAsPerson, findCommand } from "../../commands/definitions.js";
import {
  SLACK_TIMESTAMP,
  slackSignatureDigest,
  slackSignatureMatches,
} from "../domain/evidence/slack-request.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";

/** Bolt's window: a request whose timestamp is older than this is refused as stale. */
const WINDOW_MS = 5 * 60_000;
/** Kept past the window's end, so a clock a little fast or slow cannot reopen it. */
const MARGIN_MS = 60_000;
/** How long the guard waits for the store before the ack: well inside Slack's 3 seconds. */
const STORE_WAIT_MS = 500;

export type ReplayVerdict =
  /** Signed, fresh, first of its kind: pass it on. */
  | "fresh"
  /** Exactly this timestamp and signature were admitted before: a captured request sent again. */
  | "replay"
  /** Signed with a timestamp beyond the window ahead of us, which would outlive the memory of it. */
  | "from_the_future"
  /**
   * The signature is not exactly `v0=` and 64 hex digits. Bolt's own check reads the digest out of
   * such a header and would admit `v0=<digest>=x`: the same signed request under a new header.
   */
  | "malformed"
  /**
   * No signature headers, a timestamp older than the window, or a signature that does not match:
   * refused (401), as Bolt's own check would, which is off behind the guard (one check, not two).
   */
  | "unverified"
  /**
   * Signed and fresh, but the store did not answer in time: only a read-only command (`/dr status`,
   * which reads the sites and must answer when Redis is down) is admitted; anything that changes a
   * run is refused, since nothing could tell it from a replay.
   */
  | "unchecked";

/**
 * Bolt refuses a request signed more than five minutes ago, but within those five minutes a captured
 * request (a Resume or Abort click, a `/dr failover`) can be sent again and would act again. The
 * guard remembers every verified request by its signature's digest (the HMAC of timestamp and body,
 * parsed from a header that must be exactly `v0=` and 64 hex digits) in the run store's dedupe keys
 * (Redis SET NX PX, shared by every replica) until its timestamp leaves the window, and refuses a
 * repeat. Slack's own retries are signed afresh (new timestamp, new signature, X-Slack-Retry-Num),
 * so they pass here and the trigger_id dedupe of the use case absorbs them; X-Slack-Retry-Num is not
 * signed, so it changes nothing for a repeated signature.
 *
 * The guard is also where the signature is checked: Bolt's receiver runs behind it with its own
 * check off (`signatureVerification: false`), so no request reaches Bolt unless it is signed with
 * the signing secret and fresh, and each request costs one HMAC with a key made once, not Bolt's
 * check twice over (three HMACs and a fresh key each time). In a crowd that CPU is what every ack
 * waits behind.
 */
export class ReplayGuard {
  private readonly key: KeyObject;

  constructor(
    private readonly deps: {
      store: RunStore;
      clock: Clock;
      signingSecret: string;
      /** Where refusals and store failures are logged (never with the signature). */
      log: Logger;
    },
  ) {
    this.key = createSecretKey(Buffer.from(deps.signingSecret, "utf8"));
  }

  /** Never throws: a store that fails or is slow gives "unchecked" (see above), reported. */
  async check(headers: IncomingMessage["headers"], rawBody: Buffer): Promise<ReplayVerdict> {
    const signature = headers["x-slack-signature"];
    const timestamp = headers["x-slack-request-timestamp"];
    if (typeof signature !== "string" || typeof timestamp !== "string") {
      this.deps.log.warn("refused a Slack request without signature headers", {
        operation: "slack.replay-guard",
      });
      return "unverified";
    }
    const digest = slackSignatureDigest(signature);
    if (!digest) {
      this.deps.log.warn("refused a Slack request whose signature is not v0= followed by 64 hex digits", {
        operation: "slack.replay-guard",
      });
      return "malformed";
    }
    const now = this.deps.clock.now();
    const refused = this.unverifiedBecause(timestamp, rawBody, digest, now);
    if (refused) {
      this.deps.log.warn(`refused a Slack request: ${refused}`, { operation: "slack.replay-guard" });
      return "unverified";
    }
    const timestampSec = Number(timestamp);
    const windowEndsMs = timestampSec * 1000 + WINDOW_MS;
    if (timestampSec * 1000 > now + WINDOW_MS) {
      this.deps.log.warn(
        `refused a Slack request signed ${Math.round((timestampSec * 1000 - now) / 1000)} s ahead`,
        { operation: "slack.replay-guard" },
      );
      return "from_the_future";
    }
    let timer: NodeJS.Timeout | undefined;
    const seen = await Promise.race([
      this.deps.store.dedupe(`slack-signature:${digest}`, String(now), windowEndsMs - now + MARGIN_MS),
      new Promise<"slow">((resolve) => {
        timer = setTimeout(() => resolve("slow"), STORE_WAIT_MS);
      }),
    ])
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
      .finally(() => clearTimeout(timer));
    if (seen === "slow" || seen instanceof Error) {
      this.deps.log.warn(
        `could not check a Slack request for replay: the store ${seen === "slow" ? `did not answer within ${STORE_WAIT_MS} ms` : `failed (${seen.message})`}; only a read-only command is admitted`,
        { operation: "slack.replay-guard", ...(seen === "slow" ? {} : { err: seen }) },
      );
      return "unchecked";
    }
    if (seen.first) return "fresh";
    this.deps.log.warn(
      `refused a replayed Slack request (timestamp ${timestampSec}, first received at ${new Date(Number(seen.value)).toISOString()})`,
      { operation: "slack.replay-guard" },
    );
    return "replay";
  }

  /** Why a well-formed signature does not admit the request (Bolt's rules), or undefined when it does. */
  private unverifiedBecause(timestamp: string, rawBody: Buffer, digest: string, now: number) {
    if (!SLACK_TIMESTAMP.test(timestamp)) return "its timestamp is not whole Unix seconds";
    if (Number(timestamp) < Math.floor(now / 1000) - WINDOW_MS / 1000)
      return `it was signed more than ${WINDOW_MS / 60_000} minutes ago`;
    if (!slackSignatureMatches(this.key, timestamp, rawBody, digest))
      return "its signature does not match (another signing secret, or the body changed)";
    return undefined;
  }

  /**
   * Puts the guard in front of the receiver's endpoint: the body is read once (Bolt reuses it),
   * checked, and only a fresh request (or, when the store is slow, a read-only command) reaches
   * Bolt; an unsigned ssl_check is answered here, as Bolt would. Bolt's receiver must be built with
   * `signatureVerification: false`: the guard is its signature check. Anything else the receiver
   * serves goes straight through.
   */
  protect(receiver: HTTPReceiver, endpoint: string): void {
    const handle = receiver.requestListener;
    receiver.requestListener = (req, res) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (req.method?.toUpperCase() !== "POST" || path !== endpoint) return handle(req, res);
      this.admit(req, res, handle).catch((error: unknown) => {
        this.deps.log.error("a Slack request failed before reaching Bolt", {
          operation: "slack.request",
          err: error,
        });
        if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
      });
    };
  }

  private async admit(
    req: IncomingMessage,
    res: ServerResponse,
    handle: HTTPReceiver["requestListener"],
  ): Promise<void> {
    let verdict: ReplayVerdict;
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.bufferIncomingMessage>>;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit);
      verdict = await this.check(req.headers, buffered.rawBody);
    } catch (error) {
      if (isRawBodyError(error)) return HTTPModuleFunctions.buildNoBodyResponse(res, error.statusCode);
      throw error;
    }
    if (verdict === "unverified" && isSslCheck(req, buffered.rawBody))
      return HTTPModuleFunctions.buildNoBodyResponse(res, 200);
    if (verdict !== "fresh" && verdict !== "unchecked")
      return HTTPModuleFunctions.buildNoBodyResponse(res, 401);
    if (verdict === "unchecked" && !isReadOnly(buffered.rawBody))
      return refuseUnchecked(res, buffered.rawBody);
    handle(req, res);
  }
}

/**
 * Slack's ssl_check, which it may send unsigned: answered 200 and passed to nothing, as Bolt does
 * (Bolt drops every other field of it so no payload rides along; here none reaches Bolt at all).
 */
function isSslCheck(req: IncomingMessage, rawBody: Buffer): boolean {
  if (req.headers["content-type"] !== "application/x-www-form-urlencoded") return false;
  return new URLSearchParams(rawBody.toString("utf8")).getAll("ssl_check").join() === "1";
}

/** A `/dr` command anyone may run (status, runs, show, report, help): it changes nothing. */
export function isReadOnly(rawBody: Buffer): boolean {
  const form = new URLSearchParams(rawBody.toString("utf8"));
  if (form.has("payload") || !form.has("command")) return false;
  const [name = "help"] = (form.get("text") ?? "").trim().split(/\s+/).filter(Boolean);
  const command = findCommand(name, "slack");
  return command !== undefined && !actsAsPerson(command);
}

/** The person is told, in Slack, that nothing happened and why; a click gets a 503. */
function refuseUnchecked(res: ServerResponse, rawBody: Buffer): void {
  const form = new URLSearchParams(rawBody.toString("utf8"));
  if (!form.has("command")) {
    HTTPModuleFunctions.buildNoBodyResponse(res, 503);
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      response_type: "ephemeral",
      text: "*Not done*: drbot's store is not answering, so this request cannot be told from a replay and nothing was changed. Try again shortly; `/dr status` still answers.",
    }),
  );
}
