import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";

/** The emulator's Web API, driven by the real @slack/web-api WebClient. */
let emulator: SlackEmulator;
let client: WebClient;

beforeEach(async () => {
  emulator = new SlackEmulator({
    channels: [
      { id: "C0GENERAL", name: "general" },
      { id: "C0SECRET", name: "secret", members: ["U0ALICE"], botIsMember: false },
      { id: "C0SMALL", name: "small", members: ["U0ALICE"] },
    ],
  });
  await emulator.start();
  client = new WebClient(emulator.botToken, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
});

afterEach(async () => {
  await emulator.stop();
});

const platformError = (error: string) => ({
  code: "slack_webapi_platform_error",
  data: { ok: false, error },
});

describe("the emulated Web API", () => {
  it("identifies the bot on auth.test with ids distinct from every human", async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({
      ok: true,
      user_id: emulator.botUserId,
      bot_id: emulator.botId,
      team_id: "T0DRTEAM",
    });
    expect(emulator.options.users.map((u) => u.id)).not.toContain(auth.user_id);
  });

  it("refuses calls without a token, with an unknown token, or with the wrong kind of token", async () => {
    const anonymous = new WebClient(undefined, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    await expect(anonymous.auth.test()).rejects.toMatchObject(platformError("not_authed"));
    const stranger = new WebClient("xoxb-not-ours", {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
    });
    await expect(stranger.auth.test()).rejects.toMatchObject(platformError("invalid_auth"));
    const appLevel = new WebClient(emulator.appToken, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
    });
    await expect(appLevel.chat.postMessage({ channel: "C0GENERAL", text: "x" })).rejects.toMatchObject(
      platformError("not_allowed_token_type"),
    );
    await expect(client.apps.connections.open()).rejects.toMatchObject(
      platformError("not_allowed_token_type"),
    );
    await expect(client.apiCall("no.such.method")).rejects.toMatchObject(platformError("unknown_method"));
  });

  it("accepts JSON bodies with a bearer token, and ignores a token inside a JSON body as Slack does", async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${emulator.apiUrl}chat.postMessage`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    expect(
      await post({ authorization: `Bearer ${emulator.botToken}` }, { channel: "C0GENERAL", text: "json" }),
    ).toMatchObject({
      ok: true,
    });
    expect(await post({}, { channel: "C0GENERAL", text: "json", token: emulator.botToken })).toMatchObject({
      ok: false,
      error: "not_authed",
    });
    expect(emulator.messages("C0GENERAL").map((m) => m.text)).toEqual(["json"]);
  });

  it("keeps messages per channel and thread with unique increasing ts, and every version of an edit", async () => {
    const first = await client.chat.postMessage({ channel: "C0GENERAL", text: "Run started" });
    const second = await client.chat.postMessage({ channel: "C0GENERAL", text: "Another" });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    await client.chat.update({ channel: "C0GENERAL", ts: first.ts!, text: "Step 1 done" });
    await client.chat.update({
      channel: "C0GENERAL",
      ts: first.ts!,
      text: "Step 2 done",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Step 2* done" } }],
    });
    const reply = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "a reply",
      thread_ts: first.ts!,
    });
    // A reply to a reply lands in the parent's thread.
    await client.chat.postMessage({ channel: "C0GENERAL", text: "a nested reply", thread_ts: reply.ts! });

    expect(emulator.messages("C0GENERAL").map((m) => m.text)).toEqual(["Step 2 done", "Another"]);
    expect(emulator.versions("C0GENERAL", first.ts!).map((v) => [v.text, v.via])).toEqual([
      ["Run started", "chat.postMessage"],
      ["Step 1 done", "chat.update"],
      ["Step 2 done", "chat.update"],
    ]);
    expect(emulator.lastVersion("C0GENERAL", first.ts!)?.blocks).toHaveLength(1);
    expect(emulator.thread("C0GENERAL", first.ts!).map((m) => m.text)).toEqual(["a reply", "a nested reply"]);

    const replies = await client.conversations.replies({ channel: "C0GENERAL", ts: first.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(["Step 2 done", "a reply", "a nested reply"]);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 2, bot_id: emulator.botId });
    const history = await client.conversations.history({ channel: "C0GENERAL", limit: 1 });
    expect(history.messages?.map((m) => m.text)).toEqual(["Another"]);
    expect(history.has_more).toBe(true);
    const older = await client.conversations.history({
      channel: "C0GENERAL",
      limit: 1,
      cursor: history.response_metadata!.next_cursor!,
    });
    expect(older.messages?.map((m) => m.text)).toEqual(["Step 2 done"]);
  });

  it("answers Slack's errors for posts, edits and deletes that Slack would refuse", async () => {
    await expect(client.chat.postMessage({ channel: "C0NOWHERE", text: "x" })).rejects.toMatchObject(
      platformError("channel_not_found"),
    );
    await expect(client.chat.postMessage({ channel: "C0SECRET", text: "x" })).rejects.toMatchObject(
      platformError("not_in_channel"),
    );
    await expect(client.chat.postMessage({ channel: "C0GENERAL", text: "" })).rejects.toMatchObject(
      platformError("no_text"),
    );
    await expect(
      client.chat.postMessage({ channel: "C0GENERAL", text: "x".repeat(40_001) }),
    ).rejects.toMatchObject(platformError("msg_too_long"));
    await expect(
      client.chat.update({ channel: "C0GENERAL", ts: "1.000001", text: "x" }),
    ).rejects.toMatchObject(platformError("message_not_found"));
    const human = emulator.postUserMessage("C0GENERAL", "U0ALICE", "hi bot");
    await expect(client.chat.update({ channel: "C0GENERAL", ts: human.ts, text: "x" })).rejects.toMatchObject(
      platformError("cant_update_message"),
    );
    await expect(client.chat.delete({ channel: "C0GENERAL", ts: human.ts })).rejects.toMatchObject(
      platformError("cant_delete_message"),
    );
    const own = await client.chat.postMessage({ channel: "C0GENERAL", text: "short" });
    await expect(
      client.chat.update({ channel: "C0GENERAL", ts: own.ts!, text: "x".repeat(4_001) }),
    ).rejects.toMatchObject(platformError("msg_too_long"));
    await client.chat.delete({ channel: "C0GENERAL", ts: own.ts! });
    expect(emulator.messages("C0GENERAL").map((m) => m.text)).toEqual(["hi bot"]);
    expect(emulator.message("C0GENERAL", own.ts!)?.deleted).toBe(true);
  });

  it("keeps ephemerals per user and refuses users outside the channel", async () => {
    const sent = await client.chat.postEphemeral({ channel: "C0SMALL", user: "U0ALICE", text: "only you" });
    expect(sent.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    await expect(
      client.chat.postEphemeral({ channel: "C0SMALL", user: "U0BOB", text: "x" }),
    ).rejects.toMatchObject(platformError("user_not_in_channel"));
    await expect(
      client.chat.postEphemeral({ channel: "C0SMALL", user: "U0NOBODY", text: "x" }),
    ).rejects.toMatchObject(platformError("user_not_found"));
    expect(emulator.ephemerals("U0ALICE").map((e) => [e.text, e.via])).toEqual([
      ["only you", "chat.postEphemeral"],
    ]);
    expect(emulator.ephemerals("U0BOB")).toEqual([]);
  });

  it("answers directory lookups from the configured users, channels and usergroups", async () => {
    expect((await client.users.info({ user: "U0ALICE" })).user).toMatchObject({
      id: "U0ALICE",
      name: "alice",
    });
    await expect(client.users.info({ user: "U0NOBODY" })).rejects.toMatchObject(
      platformError("user_not_found"),
    );
    expect((await client.conversations.info({ channel: "C0GENERAL" })).channel).toMatchObject({
      id: "C0GENERAL",
      name: "general",
      is_member: true,
    });
    await expect(client.conversations.info({ channel: "C0NOPE" })).rejects.toMatchObject(
      platformError("channel_not_found"),
    );
    expect((await client.usergroups.users.list({ usergroup: "S0ONCALL" })).users).toEqual([
      "U0ALICE",
      "U0BOB",
    ]);
    await expect(client.usergroups.users.list({ usergroup: "S0NOPE" })).rejects.toMatchObject(
      platformError("no_such_subteam"),
    );
  });

  it("posts to a user's direct message when the channel is a user id", async () => {
    const sent = await client.chat.postMessage({ channel: "U0BOB", text: "psst" });
    expect(sent.channel).toBe("D0BOB");
    expect(emulator.messages("D0BOB").map((m) => m.text)).toEqual(["psst"]);
  });

  it("takes files.uploadV2's three steps and shares the file in a thread", async () => {
    const parent = await client.chat.postMessage({ channel: "C0GENERAL", text: "Run report" });
    const uploaded = await client.filesUploadV2({
      channel_id: "C0GENERAL",
      thread_ts: parent.ts!,
      filename: "report.txt",
      title: "Failover report",
      content: "all steps passed",
      initial_comment: "Here is the report",
    });
    expect(uploaded.ok).toBe(true);
    const [file] = emulator.files();
    expect(file).toMatchObject({ filename: "report.txt", title: "Failover report", channel: "C0GENERAL" });
    expect(file?.content?.toString()).toBe("all steps passed");
    expect(emulator.thread("C0GENERAL", parent.ts!)[0]).toMatchObject({
      text: "Here is the report",
      fileIds: [file?.id],
    });
    expect(emulator.callCount("files.getUploadURLExternal")).toBe(1);
    expect(emulator.callCount("files.completeUploadExternal")).toBe(1);
  });

  it("logs every call and state change, and waitFor resolves on the change it waits for", async () => {
    const waiting = emulator.waitForMessage("C0GENERAL", "later");
    await client.chat.postMessage({ channel: "C0GENERAL", text: "later" });
    expect((await waiting).text).toBe("later");
    await expect(
      emulator.waitFor(() => emulator.messages("C0GENERAL").length > 5, { timeoutMs: 100 }),
    ).rejects.toThrow(/timed out after 100 ms/);
    expect(emulator.events("api_call").map((e) => [e.method, e.ok])).toEqual([["chat.postMessage", true]]);
    expect(emulator.events("message_posted")).toHaveLength(1);
  });
});

describe("the emulator's lifecycle", () => {
  it("listens on 127.0.0.1 only, and after stop() nothing answers any more", async () => {
    const own = new SlackEmulator();
    const base = await own.start();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const keptAlive = new WebClient(own.botToken, { slackApiUrl: own.apiUrl, retryConfig: { retries: 0 } });
    await keptAlive.auth.test();
    await own.stop();
    await expect(keptAlive.auth.test()).rejects.toMatchObject({ code: "slack_webapi_request_error" });
  });
});
