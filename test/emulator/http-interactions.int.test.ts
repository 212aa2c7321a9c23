import type { BlockAction, SlashCommand } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { expectWithinDeadline } from "../support/deadline.js";
import { type RunningApp, startHttpApp } from "./bolt-test-apps.js";

/** Slash commands and button clicks delivered to a real Bolt app over signed HTTP. */
let emulator: SlackEmulator;
const apps: RunningApp[] = [];

beforeEach(async () => {
  emulator = new SlackEmulator({ mode: "http" });
  await emulator.start();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  await emulator.stop();
});

const approveButton = {
  type: "actions",
  block_id: "run-1",
  elements: [
    {
      type: "button",
      action_id: "dr:approve",
      style: "primary",
      text: { type: "plain_text", text: "Approve" },
      value: "run-1",
    },
  ],
};

describe("slash commands over HTTP", () => {
  it("reach a Bolt app signed and form-encoded; its ack is measured and its post lands in the channel", async () => {
    const seen: SlashCommand[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ command, ack, say }) => {
          seen.push(command);
          await ack();
          await say(`Starting ${command.text}`);
        });
      }),
    );

    const result = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "failover dc1",
    });

    expect(result).toMatchObject({ outcome: "acked", status: 200, timedOut: false, retryNum: 0 });
    expectWithinDeadline(result.ackMs, 3_000, "the ack (Slack waits 3 s for it)");
    expect(result.responseUrl.startsWith(`${emulator.baseUrl}/response/`)).toBe(true);
    expect(result.triggerId).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
    expect(seen[0]).toMatchObject({
      command: "/dr",
      text: "failover dc1",
      user_id: "U0ALICE",
      user_name: "alice",
      channel_id: "C0INCIDENT",
      channel_name: "incident",
      team_id: emulator.teamId,
      response_url: result.responseUrl,
      trigger_id: result.triggerId,
    });
    const posted = await emulator.waitForMessage("C0INCIDENT", "Starting failover dc1");
    expect(posted.botId).toBe(emulator.botId);
  });

  it("shows the ack's own response: ephemeral by default, in the channel with the command when asked", async () => {
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ command, ack }) => {
          if (command.text === "public")
            await ack({ response_type: "in_channel", text: "Everyone sees this" });
          else await ack("Only you see this");
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "help" });
    await emulator.sendSlashCommand({ userId: "U0BOB", channelId: "C0INCIDENT", text: "public" });

    expect(emulator.ephemerals("U0ALICE").map((e) => [e.text, e.via])).toEqual([
      ["Only you see this", "slash_ack"],
    ]);
    expect(emulator.messages("C0INCIDENT").map((m) => [m.userId, m.text])).toEqual([
      ["U0BOB", "/dr public"],
      [emulator.botUserId, "Everyone sees this"],
    ]);
  });

  it("are refused with 401 by an app with another signing secret, or when the signature is forged or stale", async () => {
    apps.push(
      await startHttpApp(
        emulator,
        (app) => {
          app.command("/dr", async ({ ack }) => ack());
        },
        { signingSecret: "not-the-emulators-secret" },
      ),
    );
    const wrongSecret = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "x",
    });
    expect(wrongSecret).toMatchObject({ outcome: "rejected", status: 401, timedOut: false });
    await apps.pop()?.stop();

    apps.push(await startHttpApp(emulator, (app) => app.command("/dr", async ({ ack }) => ack())));
    const send = (forgery: Parameters<SlackEmulator["sendSlashCommand"]>[0]["forgery"]) =>
      emulator.sendSlashCommand({
        userId: "U0ALICE",
        channelId: "C0INCIDENT",
        text: "x",
        ...(forgery ? { forgery } : {}),
      });
    expect((await send({ timestampOffsetSec: -301 })).status).toBe(401);
    expect((await send({ signature: `v0=${"0".repeat(64)}` })).status).toBe(401);
    expect((await send({ omitHeaders: true })).status).toBe(401);
    expect((await send({ signingSecret: "guess" })).status).toBe(401);
    expect((await send(undefined)).status).toBe(200);
  });

  it("records an ack later than 3 seconds as a timeout, with its latency, and drops its response", async () => {
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack }) => {
          // The late ack is the behaviour under test: this handler waits past Slack's 3 seconds.
          await new Promise((resolve) => setTimeout(resolve, 3_200));
          await ack("too late").catch(() => undefined);
        });
      }),
    );
    const result = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "slow",
    });

    expect(result).toMatchObject({ outcome: "timeout", timedOut: true });
    expect(result.ackMs).toBeGreaterThan(3_000);
    expect(emulator.ephemerals("U0ALICE")).toEqual([]);
    expect(emulator.events("interaction_delivered")).toMatchObject([
      { kind: "slash_command", outcome: "timeout" },
    ]);
  }, 15_000);

  it("redeliver sends the same payload again with X-Slack-Retry-Num and X-Slack-Retry-Reason", async () => {
    const retries: [number | undefined, string | undefined, string][] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ command, context, ack }) => {
          retries.push([context.retryNum, context.retryReason, command.trigger_id]);
          await ack();
        });
      }),
    );
    const first = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "status",
    });
    const second = await emulator.redeliver(first);
    const third = await emulator.redeliver(second, { reason: "http_error" });

    expect([second.retryNum, third.retryNum]).toEqual([1, 2]);
    expect(retries).toEqual([
      [undefined, undefined, first.triggerId],
      [1, "http_timeout", first.triggerId],
      [2, "http_error", first.triggerId],
    ]);
  });
});

describe("button clicks over HTTP", () => {
  it("deliver block_actions with the message, container and the button's ids; respond and chat.update act on it", async () => {
    const seen: BlockAction[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.action("dr:approve", async ({ body, ack, respond, client }) => {
          await ack();
          const action = body as BlockAction;
          seen.push(action);
          await respond({
            response_type: "ephemeral",
            replace_original: false,
            text: "Your approval counts",
          });
          await client.chat.update({
            channel: action.channel!.id,
            ts: action.message!.ts,
            text: "Approved by alice",
            blocks: [],
          });
        });
      }),
    );
    const { app } = apps[0]!;
    const posted = await app.client.chat.postMessage({
      channel: "C0INCIDENT",
      text: "Approve run-1?",
      blocks: [approveButton],
    });

    const click = await emulator.sendBlockAction({
      userId: "U0BOB",
      channelId: "C0INCIDENT",
      messageTs: posted.ts!,
      actionId: "dr:approve",
    });

    expect(click).toMatchObject({ outcome: "acked", status: 200, body: "" });
    expect(seen[0]).toMatchObject({
      type: "block_actions",
      user: { id: "U0BOB", username: "bob" },
      channel: { id: "C0INCIDENT", name: "incident" },
      container: { type: "message", message_ts: posted.ts, channel_id: "C0INCIDENT", is_ephemeral: false },
      message: { ts: posted.ts, text: "Approve run-1?", bot_id: emulator.botId },
      actions: [
        { type: "button", action_id: "dr:approve", block_id: "run-1", value: "run-1", style: "primary" },
      ],
      response_url: click.responseUrl,
      trigger_id: click.triggerId,
    });
    await emulator.waitFor(
      () => emulator.lastVersion("C0INCIDENT", posted.ts!)?.text === "Approved by alice",
    );
    expect(emulator.ephemerals("U0BOB").map((e) => [e.text, e.via])).toEqual([
      ["Your approval counts", "response_url"],
    ]);
    expect(emulator.responseUrlUses(click.responseUrl)).toBe(1);
  });

  it("on an ephemeral message carry no message, and respond() replaces that ephemeral for the user", async () => {
    const seen: BlockAction[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.action("dr:approve", async ({ body, ack, respond }) => {
          await ack();
          seen.push(body as BlockAction);
          await respond({ replace_original: true, text: "Thanks, noted" });
        });
      }),
    );
    const sent = await apps[0]!.app.client.chat.postEphemeral({
      channel: "C0INCIDENT",
      user: "U0BOB",
      text: "Approve run-1?",
      blocks: [approveButton],
    });
    await emulator.sendBlockAction({
      userId: "U0BOB",
      channelId: "C0INCIDENT",
      messageTs: sent.message_ts!,
      actionId: "dr:approve",
      isEphemeral: true,
    });

    expect(seen[0]?.container).toMatchObject({ is_ephemeral: true, message_ts: sent.message_ts });
    expect(seen[0]?.message).toBeUndefined();
    await emulator.waitForEphemeral("U0BOB", "Thanks, noted");
    expect(emulator.ephemerals("U0BOB").map((e) => e.text)).toEqual(["Thanks, noted"]);
  });

  it("refuse to click a button that is not on the message, unless the test forces a value", async () => {
    const posted = emulator.postUserMessage("C0INCIDENT", "U0ALICE", "no buttons here");
    await expect(
      emulator.sendBlockAction({
        userId: "U0BOB",
        channelId: "C0INCIDENT",
        messageTs: posted.ts,
        actionId: "dr:approve",
      }),
    ).rejects.toThrow(/no element with action_id dr:approve/);
  });
});
