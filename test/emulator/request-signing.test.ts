import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureHeaders, signSlackRequest } from "../../src/emulator/request-signing.js";

describe("request signing", () => {
  it("reproduces Slack's documented example signature", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(signSlackRequest("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)).toEqual({
      "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      "x-slack-request-timestamp": "1531420618",
    });
  });

  it("forges exactly the part a test asks for", () => {
    const now = 1_700_000_000_500;
    const honest = signatureHeaders("secret", now, "a=1");
    expect(honest["x-slack-request-timestamp"]).toBe("1700000000");
    const stale = signatureHeaders("secret", now, "a=1", { timestampOffsetSec: -301 });
    expect(stale["x-slack-request-timestamp"]).toBe("1699999699");
    // A stale request is still correctly signed for its own timestamp: only its age is wrong.
    const expected = createHmac("sha256", "secret").update("v0:1699999699:a=1").digest("hex");
    expect(stale["x-slack-signature"]).toBe(`v0=${expected}`);
    expect(signatureHeaders("secret", now, "a=1", { signingSecret: "other" })["x-slack-signature"]).not.toBe(
      honest["x-slack-signature"],
    );
    expect(signatureHeaders("secret", now, "a=1", { signature: "v0=bad" })["x-slack-signature"]).toBe(
      "v0=bad",
    );
    expect(signatureHeaders("secret", now, "a=1", { omitHeaders: true })).toEqual({});
  });
});
