import { WebClient, WebClientEvent } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";

/** Rate limits and injected faults, as the real WebClient experiences them. */
let emulator: SlackEmulator;
beforeEach(async () => {
  emulator = new SlackEmulator();
  await emulator.start();
});
afterEach(async () => {
  await emulator.stop();
});

describe("rate limits", () => {
  it("answers 429 with Retry-After, which the WebClient honours until the edit lands", async () => {
    const client = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 3, minTimeout: 10, maxTimeout: 50 },
    });
    const rateLimited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (retryAfterSec: number) => rateLimited.push(retryAfterSec));
    const posted = await client.chat.postMessage({ channel: "C0GENERAL", text: "v1" });
    emulator.rateLimit("chat.update", { perSecondPerChannel: 1 });

    await client.chat.update({ channel: "C0GENERAL", ts: posted.ts!, text: "v2" });
    await client.chat.update({ channel: "C0GENERAL", ts: posted.ts!, text: "v3" });

    expect(rateLimited).toEqual([1]);
    expect(emulator.versions("C0GENERAL", posted.ts!).map((v) => v.text)).toEqual(["v1", "v2", "v3"]);
    expect(emulator.callCount("chat.update")).toBe(3);
    expect(emulator.events("api_call").filter((e) => e.status === 429)).toMatchObject([
      { method: "chat.update", error: "ratelimited" },
    ]);
  });

  it("refuses exactly the next N calls, with the Retry-After it was given", async () => {
    emulator.rateLimit("chat.postMessage", { nextCalls: 2, retryAfterSec: 7 });
    const client = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      rejectRateLimitedCalls: true,
    });
    for (let i = 0; i < 2; i++)
      await expect(client.chat.postMessage({ channel: "C0GENERAL", text: "x" })).rejects.toMatchObject({
        code: "slack_webapi_rate_limited_error",
        retryAfter: 7,
      });
    await client.chat.postMessage({ channel: "C0GENERAL", text: "third time" });
    expect(emulator.messages("C0GENERAL").map((m) => m.text)).toEqual(["third time"]);
  });

  it("limits per channel: another channel is not held back", async () => {
    emulator.rateLimit("chat.postMessage", { perSecondPerChannel: 1, retryAfterSec: 30 });
    const client = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      rejectRateLimitedCalls: true,
    });
    await client.chat.postMessage({ channel: "C0GENERAL", text: "a" });
    await client.chat.postMessage({ channel: "C0INCIDENT", text: "b" });
    await expect(client.chat.postMessage({ channel: "C0GENERAL", text: "c" })).rejects.toMatchObject({
      retryAfter: 30,
    });
    emulator.clearRateLimits();
    await client.chat.postMessage({ channel: "C0GENERAL", text: "d" });
    expect(emulator.callCounts()).toEqual({ "chat.postMessage": 4 });
  });

  it("counts a benchmark's calls per method and can start the count afresh", async () => {
    const client = new WebClient(emulator.botToken, { slackApiUrl: emulator.apiUrl });
    const posted = await client.chat.postMessage({ channel: "C0GENERAL", text: "run" });
    for (let i = 0; i < 3; i++)
      await client.chat.update({ channel: "C0GENERAL", ts: posted.ts!, text: `step ${i}` });
    expect([
      emulator.callCount("chat.postMessage"),
      emulator.callCount("chat.update"),
      emulator.callCount(),
    ]).toEqual([1, 3, 4]);
    emulator.resetCallCounts();
    expect(emulator.callCount()).toBe(0);
  });
});

describe("injected faults", () => {
  it("fails the next calls with an HTTP status (retried by the WebClient) or a platform error (not retried)", async () => {
    const client = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 2, minTimeout: 5, maxTimeout: 10 },
    });
    emulator.failNext("chat.postMessage", { status: 503 }, 2);
    await client.chat.postMessage({ channel: "C0GENERAL", text: "made it" });
    expect(emulator.callCount("chat.postMessage")).toBe(3);
    emulator.failNext("chat.postMessage", { error: "fatal_error" });
    await expect(client.chat.postMessage({ channel: "C0GENERAL", text: "no" })).rejects.toMatchObject({
      data: { error: "fatal_error" },
    });
    expect(emulator.messages("C0GENERAL").map((m) => m.text)).toEqual(["made it"]);
  });
});
