import { createSecretKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  readSignedSlackRequest,
  signSlackRequest,
  slackSignatureMatches,
} from "../../../src/domain/evidence/slack-request.js";

/** Slack's own worked example (docs: verifying requests from Slack). */
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP = "1531420618";
const BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

describe("a Slack request kept as proof", () => {
  it("is signed as Slack signs it (Slack's worked example)", () => {
    expect(signSlackRequest(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });

  it("matches Slack's worked example from the raw bytes with a key made once, and nothing else", () => {
    const key = createSecretKey(Buffer.from(SECRET));
    const digest = SIGNATURE.slice(3);
    expect(slackSignatureMatches(key, TIMESTAMP, Buffer.from(BODY), digest)).toBe(true);
    expect(slackSignatureMatches(SECRET, TIMESTAMP, BODY, digest)).toBe(true);
    expect(slackSignatureMatches(key, "1531420619", Buffer.from(BODY), digest)).toBe(false);
    expect(slackSignatureMatches(key, TIMESTAMP, Buffer.from(`${BODY}&x=1`), digest)).toBe(false);
    expect(slackSignatureMatches(key, TIMESTAMP, Buffer.from(BODY), digest.slice(0, 62))).toBe(false);
  });

  it("reads who typed which command once the signature is checked", () => {
    expect(
      readSignedSlackRequest({ body: BODY, timestamp: TIMESTAMP, signature: SIGNATURE }, SECRET),
    ).toEqual({
      ok: true,
      statement: {
        kind: "command",
        userId: "U2CERLKJA",
        command: "/webhook-collect",
        text: "",
        channelId: "G8PSS9T3V",
        triggerId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        at: 1_531_420_618_000,
      },
    });
  });

  it("reads who clicked which button from a block_actions payload", () => {
    const payload = {
      type: "block_actions",
      user: { id: "U0A1" },
      actions: [{ action_id: "dr:approve", value: "r|h" }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const signature = signSlackRequest(SECRET, TIMESTAMP, body);
    expect(readSignedSlackRequest({ body, timestamp: TIMESTAMP, signature }, SECRET)).toMatchObject({
      ok: true,
      statement: { kind: "action", userId: "U0A1", actionId: "dr:approve", value: "r|h" },
    });
  });

  it("is refused when the body, timestamp or secret differ, or the signature is mangled", () => {
    const check = (body: string, timestamp: string, signature: string, secret = SECRET) =>
      readSignedSlackRequest({ body, timestamp, signature }, secret);
    expect(check(BODY.replace("U2CERLKJA", "U0BOSS"), TIMESTAMP, SIGNATURE)).toEqual({
      ok: false,
      reason: "Slack's signature does not match the request",
    });
    expect(check(BODY, "1531420619", SIGNATURE).ok).toBe(false);
    expect(check(BODY, TIMESTAMP, SIGNATURE, "another-secret").ok).toBe(false);
    expect(check(BODY, TIMESTAMP, `${SIGNATURE}=x`)).toEqual({
      ok: false,
      reason: "the Slack signature is not v0= followed by 64 hex digits",
    });
    expect(check(BODY, TIMESTAMP, SIGNATURE.toUpperCase().replace("V0", "v0")).ok).toBe(false);
    expect(check(BODY, "01531420618", SIGNATURE).ok).toBe(false);
  });
});

describe("a submitted modal kept as proof", () => {
  it("reads who submitted which modal, what it was about and what was typed, once the signature checks", () => {
    const payload = {
      type: "view_submission",
      user: { id: "U0A1" },
      view: {
        id: "V0REJECT",
        callback_id: "dr:reject-reason",
        private_metadata: "failover-1204-0300-abcdef|C0INCIDENT",
        state: { values: { reason: { reason: { type: "plain_text_input", value: "wrong scope" } } } },
      },
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = "1796353200";
    const signature = signSlackRequest(SECRET, timestamp, body);
    expect(readSignedSlackRequest({ body, timestamp, signature }, SECRET)).toEqual({
      ok: true,
      statement: {
        kind: "submission",
        userId: "U0A1",
        callbackId: "dr:reject-reason",
        privateMetadata: "failover-1204-0300-abcdef|C0INCIDENT",
        values: { reason: "wrong scope" },
        at: 1_796_353_200_000,
      },
    });
    const altered = body.replace("wrong%20scope", "right%20scope").replace("wrong+scope", "right+scope");
    expect(readSignedSlackRequest({ body: altered, timestamp, signature }, SECRET)).toMatchObject({
      ok: false,
    });
  });
});
