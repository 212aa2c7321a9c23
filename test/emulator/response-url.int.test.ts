import { afterEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { type RunningApp, startHttpApp } from "./bolt-test-apps.js";

/**
 * response_url rules. The app only acks; the test posts to the response_url itself, exactly as
 * Bolt's respond() does (a JSON POST without auth), so each rule is checked directly.
 */
let emulator: SlackEmulator | undefined;
let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  await emulator?.stop();
  running = undefined;
});

async function started(now?: () => number): Promise<SlackEmulator> {
  emulator = new SlackEmulator(now ? { now } : {});
  await emulator.start();
  running = await startHttpApp(emulator, (app) => {
    app.command("/dr", async ({ ack }) => ack());
    app.action(/.*/, async ({ ack }) => ack());
  });
  return emulator;
}

const respond = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { ok: boolean; error?: string } }));

describe("response_url", () => {
  it("is unique per interaction, ephemeral by default, and public with response_type in_channel", async () => {
    const e = await started();
    const first = await e.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "a" });
    const second = await e.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "b" });
    expect(first.responseUrl).not.toBe(second.responseUrl);

    expect(await respond(first.responseUrl, { text: "just you" })).toEqual({
      status: 200,
      body: { ok: true },
    });
    await respond(first.responseUrl, { response_type: "in_channel", text: "everyone" });
    expect(e.ephemerals("U0ALICE").map((m) => [m.text, m.via])).toEqual([["just you", "response_url"]]);
    expect(e.messages("C0INCIDENT").map((m) => m.text)).toEqual(["everyone"]);
  });

  it("may be used five times; the sixth use is refused", async () => {
    const e = await started();
    const { responseUrl } = await e.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "a",
    });
    for (let i = 1; i <= 5; i++)
      expect((await respond(responseUrl, { text: `update ${i}` })).status).toBe(200);
    expect(await respond(responseUrl, { text: "update 6" })).toEqual({
      status: 404,
      body: { ok: false, error: "used_url" },
    });
    expect(e.ephemerals("U0ALICE")).toHaveLength(5);
    expect(e.responseUrlUses(responseUrl)).toBe(5);
  });

  it("expires 30 minutes after the interaction", async () => {
    let clock = Date.now();
    const e = await started(() => clock);
    const { responseUrl } = await e.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "a",
    });
    clock += 30 * 60_000;
    expect((await respond(responseUrl, { text: "just in time" })).status).toBe(200);
    clock += 1;
    expect(await respond(responseUrl, { text: "too late" })).toEqual({
      status: 404,
      body: { ok: false, error: "expired_url" },
    });
  });

  it("replaces or deletes the message whose button was clicked, and threads a new reply", async () => {
    const e = await started();
    const posted = await running!.app.client.chat.postMessage({
      channel: "C0INCIDENT",
      text: "Approve?",
      blocks: [
        {
          type: "actions",
          elements: [
            {
              type: "button",
              action_id: "dr:approve",
              text: { type: "plain_text", text: "Approve" },
              value: "1",
            },
          ],
        },
      ],
    });
    // After the first replacement the button is gone; later clicks come from a view opened before it
    // changed, so the test names the value itself.
    const click = () =>
      e.sendBlockAction({
        userId: "U0BOB",
        channelId: "C0INCIDENT",
        messageTs: posted.ts!,
        actionId: "dr:approve",
        value: "1",
      });

    await respond((await click()).responseUrl, { replace_original: true, text: "Approved" });
    expect(e.versions("C0INCIDENT", posted.ts!).map((v) => [v.text, v.via])).toEqual([
      ["Approve?", "chat.postMessage"],
      ["Approved", "response_url"],
    ]);
    await respond((await click()).responseUrl, {
      replace_original: false,
      response_type: "in_channel",
      thread_ts: posted.ts,
      text: "Noted in the thread",
    });
    expect(e.thread("C0INCIDENT", posted.ts!).map((m) => m.text)).toEqual(["Noted in the thread"]);
    await respond((await click()).responseUrl, { delete_original: true });
    expect(e.message("C0INCIDENT", posted.ts!)?.deleted).toBe(true);
    expect(e.events("response_url_used").map((u) => u.action)).toEqual([
      "replaced",
      "posted_in_channel",
      "deleted",
    ]);
  });

  it("refuses bodies Slack would refuse: not JSON, no text, or invalid blocks", async () => {
    const e = await started();
    const { responseUrl } = await e.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "a",
    });
    const raw = await fetch(responseUrl, { method: "POST", body: "text=hi" });
    expect(raw.status).toBe(400);
    expect((await respond(responseUrl, { response_type: "ephemeral" })).body.error).toBe("no_text");
    expect((await respond(responseUrl, { text: "x", blocks: [{ type: "carousel" }] })).body.error).toBe(
      "invalid_blocks",
    );
    expect(e.responseUrlUses(responseUrl)).toBe(0);
  });
});
