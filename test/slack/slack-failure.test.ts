import { WebAPIPlatformError } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { classifySlackFailure, retryDelayMs } from "../../src/slack/slack-failure.js";

const platform = (error: string) => new WebAPIPlatformError({ ok: false, error });

describe("Slack failures", () => {
  it("are permanent when Slack will refuse the same until a person acts", () => {
    for (const code of [
      "channel_not_found",
      "not_in_channel",
      "is_archived",
      "invalid_auth",
      "account_inactive",
      "token_revoked",
      "missing_scope",
    ])
      expect(classifySlackFailure(platform(code))).toMatchObject({ permanent: true, code });
    expect(classifySlackFailure(platform("is_archived")).text).toBe("is_archived: the channel is archived");
  });

  it("are transient when Slack errs on its side, answers an HTTP error or cannot be reached", () => {
    expect(classifySlackFailure(platform("internal_error"))).toMatchObject({
      permanent: false,
      code: "internal_error",
    });
    expect(
      classifySlackFailure({ code: "slack_webapi_http_error", statusCode: 503, message: "503" }),
    ).toMatchObject({ permanent: false, code: "http_503" });
    expect(classifySlackFailure({ code: "slack_webapi_request_error", message: "ECONNRESET" })).toMatchObject(
      { permanent: false, code: "network" },
    );
    expect(classifySlackFailure(new Error("Redis did not read a run"))).toMatchObject({
      permanent: false,
      code: "other",
    });
  });

  it("never take an error code that is not one of Slack's words as a label", () => {
    expect(classifySlackFailure(platform("Weird Thing <script>")).code).toBe("other");
  });

  it("are retried twice as late after each failure in a row, up to the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => retryDelayMs(n, 1_000, 60_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });
});
