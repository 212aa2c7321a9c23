import { App } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/slack-emulator/slack-emulator.js";
import { freePort } from "../support/redis-server.js";

/** The emulator itself, driven by the real @slack/web-api and @slack/bolt. */
let emulator: SlackEmulator | undefined;
let app: App | undefined;
afterEach(async () => {
  await app?.stop().catch(() => undefined);
  await emulator?.stop();
  app = undefined;
  emulator = undefined;
});

async function started(mode: "http" | "socket" = "http"): Promise<SlackEmulator> {
  emulator = new SlackEmulator({
    mode,
    channels: { C1: { name: "general" } },
    users: { U1: { name: "one" } },
    usergroups: { S1: ["U1"] },
  });
  await emulator.start();
  return emulator;
}

describe("Slack emulator", () => {
  it("answers the Web API like Slack: auth, posts, edits with history, ephemerals, groups", async () => {
    const e = await started();
    const client = new WebClient(e.botToken, { slackApiUrl: e.apiUrl });
    expect(await client.auth.test()).toMatchObject({ ok: true, user_id: e.botUserId, bot_id: e.botId });
    const posted = await client.chat.postMessage({ channel: "C1", text: "first" });
    await client.chat.update({ channel: "C1", ts: posted.ts!, text: "second" });
    await client.chat.postMessage({ channel: "C1", text: "reply", thread_ts: posted.ts! });
    await client.chat.postEphemeral({ channel: "C1", user: "U1", text: "psst" });
    expect(e.message("C1", posted.ts!)!.versions.map((v) => v.text)).toEqual(["first", "second"]);
    expect(e.thread("C1", posted.ts!).map((m) => m.text)).toEqual(["reply"]);
    expect(e.ephemerals("U1").map((m) => m.text)).toEqual(["psst"]);
    expect((await client.usergroups.users.list({ usergroup: "S1" })).users).toEqual(["U1"]);
    await expect(
      new WebClient("xoxb-wrong", { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 } }).auth.test(),
    ).rejects.toMatchObject({ data: { error: "invalid_auth" } });
  });

  it("refuses Block Kit beyond Slack's limits with invalid_blocks", async () => {
    const e = await started();
    const client = new WebClient(e.botToken, { slackApiUrl: e.apiUrl });
    const blocks = Array.from({ length: 51 }, () => ({ type: "divider" }));
    await expect(client.chat.postMessage({ channel: "C1", text: "x", blocks })).rejects.toMatchObject({
      data: { error: "invalid_blocks" },
    });
    await expect(
      client.chat.postMessage({
        channel: "C1",
        text: "x",
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "y".repeat(3001) } }],
      }),
    ).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    expect(e.invalidBlocks[0]!.errors[0]).toContain("no more than 50 items allowed [json-pointer:/blocks]");
  });

  it("answers 429 with Retry-After, which the WebClient honours until the call lands", async () => {
    const e = await started();
    e.rateLimit("chat.postMessage", { limit: 1, windowMs: 1_000, retryAfterSec: 1 });
    const client = new WebClient(e.botToken, {
      slackApiUrl: e.apiUrl,
      retryConfig: { retries: 3, minTimeout: 10, maxTimeout: 100 },
    });
    await client.chat.postMessage({ channel: "C1", text: "one" });
    await client.chat.postMessage({ channel: "C1", text: "two" });
    expect(e.rateLimited.length).toBeGreaterThan(0);
    expect(e.channelMessages("C1").map((m) => m.text)).toEqual(["one", "two"]);
  });

  it("delivers signed slash commands, measures the ack, and records a late ack as a timeout", async () => {
    const e = await started();
    const port = await freePort();
    e.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    app = new App({
      token: e.botToken,
      signingSecret: e.signingSecret,
      clientOptions: { slackApiUrl: e.apiUrl },
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.command("/dr", async ({ command, ack, respond }) => {
      if (command.text === "slow") {
        // The late ack is the behaviour under test: this handler waits past Slack's 3 seconds.
        setTimeout(release, 3_200);
        await gate;
      }
      await ack();
      await respond({ response_type: "ephemeral", text: `got ${command.text}` });
    });
    await app.start(port);
    const fast = await e.sendSlashCommand({ userId: "U1", channelId: "C1", text: "hello" });
    expect(fast).toMatchObject({ status: 200, timedOut: false });
    const slow = await e.sendSlashCommand({ userId: "U1", channelId: "C1", text: "slow" });
    expect(slow.timedOut).toBe(true);
    expect(slow.ackMs).toBeGreaterThan(3_000);
    expect(e.ephemerals("U1").map((m) => m.text)).toContain("got hello");
    const wrong = new App({
      token: e.botToken,
      signingSecret: "not-the-secret",
      clientOptions: { slackApiUrl: e.apiUrl },
    });
    const port2 = await freePort();
    await wrong.start(port2);
    e.setRequestUrl(`http://127.0.0.1:${port2}/slack/events`);
    expect((await e.sendSlashCommand({ userId: "U1", channelId: "C1", text: "x" })).status).toBe(401);
    await wrong.stop();
  }, 20_000);

  it("speaks Socket Mode to the real client: hello, envelopes, acks", async () => {
    const e = await started("socket");
    app = new App({
      token: e.botToken,
      appToken: e.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: e.apiUrl },
      installerOptions: { clientOptions: { slackApiUrl: e.apiUrl } },
    });
    app.command("/dr", async ({ ack }) => {
      await ack({ text: "socket ack" });
    });
    await app.start();
    await e.socketConnected();
    const result = await e.sendSlashCommand({ userId: "U1", channelId: "C1", text: "status" });
    expect(result.timedOut).toBe(false);
    expect(JSON.parse(result.body)).toMatchObject({ text: "socket ack" });
  });
});
