import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTPModuleFunctions, type HTTPReceiver, isRawBodyError, isValidSlackRequest } from "@slack/bolt";
import { actsAsPerson, findCommand } from "../../commands/definitions.js";
import { slackSignatureDigest } from "../domain/evidence/slack-request.js";
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
  /** Not validly signed (or an ssl_check): Bolt judges it and answers as it always does. */
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
 */
export class ReplayGuard {
  constructor(
    private readonly deps: {
      store: RunStore;
      clock: Clock;
      signingSecret: string;
      /** Where refusals and store failures are logged (never with the signature). */
      log: Logger;
    },
  ) {}

  /** Never throws: a store that fails or is slow gives "unchecked" (see above), reported. */
  async check(headers: IncomingMessage["headers"], rawBody: Buffer): Promise<ReplayVerdict> {
    const signature = headers["x-slack-signature"];
    const timestamp = headers["x-slack-request-timestamp"];
    if (typeof signature !== "string" || typeof timestamp !== "string") return "unverified";
    const digest = slackSignatureDigest(signature);
    if (!digest) {
      this.deps.log.warn("refused a Slack request whose signature is not v0= followed by 64 hex digits", {
        operation: "slack.replay-guard",
      });
      return "malformed";
    }
    const timestampSec = Number(timestamp);
    const now = this.deps.clock.now();
    const verified = isValidSlackRequest({
      signingSecret: this.deps.signingSecret,
      body: rawBody.toString(),
      headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestampSec },
      nowMilliseconds: now,
    });
    if (!verified) return "unverified";
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

  /**
   * Puts the guard in front of the receiver's endpoint: the body is read once (Bolt reuses it),
   * checked, and only a fresh or unverified request reaches Bolt. Everything else the receiver
   * serves (health, metrics) goes straight through.
   */
  protect(receiver: HTTPReceiver, endpoint: string): void {
    const handle = receiver.requestListener;
    receiver.requestListener = (req, res) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (req.method !== "POST" || path !== endpoint) return handle(req, res);
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
    if (verdict === "replay" || verdict === "from_the_future" || verdict === "malformed")
      return HTTPModuleFunctions.buildNoBodyResponse(res, 401);
    if (verdict === "unchecked" && !isReadOnly(buffered.rawBody))
      return refuseUnchecked(res, buffered.rawBody);
    handle(req, res);
  }
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
