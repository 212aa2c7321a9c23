import type { BlockAction } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { type RunningApp, startSocketApp } from "./bolt-test-apps.js";

/** The same interactions over Socket Mode, to a real Bolt app with the real @slack/socket-mode client. */
let emulator: SlackEmulator;
const apps: RunningApp[] = [];

beforeEach(async () => {
  emulator = new SlackEmulator({ mode: "socket" });
  await emulator.start();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  await emulator.stop();
});

describe("Socket Mode", () => {
  it("connects through apps.connections.open with the app token, then carries slash commands and their acks", async () => {
    apps.push(
      await startSocketApp(emulator, (app) => {
        app.command("/dr", async ({ command, ack, say }) => {
          await ack({ text: `Working on ${command.text}` });
          await say(`Run for ${command.text} started`);
        });
      }),
    );
    expect(emulator.callCount("apps.connections.open")).toBe(1);
    expect(emulator.events("socket_connected")).toHaveLength(1);

    const result = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "drill",
    });

    expect(result).toMatchObject({ outcome: "acked", status: 200, timedOut: false });
    expect(JSON.parse(result.body)).toEqual({ text: "Working on drill" });
    expect(emulator.ephemerals("U0ALICE").map((e) => e.text)).toEqual(["Working on drill"]);
    await emulator.waitForMessage("C0INCIDENT", "Run for drill started");
  });

  it("carries button clicks as interactive envelopes, and respond() reaches the response_url", async () => {
    const seen: BlockAction[] = [];
    apps.push(
      await startSocketApp(emulator, (app) => {
        app.action("dr:abort", async ({ body, ack, respond }) => {
          await ack();
          seen.push(body as BlockAction);
          await respond({ replace_original: true, text: "Aborted by bob" });
        });
      }),
    );
    const posted = await apps[0]!.app.client.chat.postMessage({
      channel: "C0INCIDENT",
      text: "Run 7",
      blocks: [
        {
          type: "actions",
          elements: [
            {
              type: "button",
              action_id: "dr:abort",
              style: "danger",
              text: { type: "plain_text", text: "Abort" },
              value: "7",
            },
          ],
        },
      ],
    });
    const click = await emulator.sendBlockAction({
      userId: "U0BOB",
      channelId: "C0INCIDENT",
      messageTs: posted.ts!,
      actionId: "dr:abort",
    });

    expect(click.outcome).toBe("acked");
    // Slack gives every block a block_id; the echoed message and the action agree on it.
    expect(seen[0]?.actions[0]).toMatchObject({
      action_id: "dr:abort",
      value: "7",
      block_id: "emu0",
      style: "danger",
    });
    expect(seen[0]?.message?.blocks).toMatchObject([{ block_id: "emu0" }]);
    await emulator.waitFor(() => emulator.lastVersion("C0INCIDENT", posted.ts!)?.via === "response_url");
    expect(emulator.messages("C0INCIDENT").map((m) => m.text)).toEqual(["Aborted by bob"]);
  });

  it("reconnects after Slack's disconnect message, and keeps delivering", async () => {
    apps.push(
      await startSocketApp(
        emulator,
        (app) => {
          app.command("/dr", async ({ ack }) => ack());
        },
        { clientPingTimeout: 200 },
      ),
    );
    emulator.disconnectSockets("refresh_requested");
    await emulator.waitFor(
      () => emulator.events("socket_connected").length === 2 && emulator.socketConnections === 1,
      {
        description: "a second connection",
      },
    );

    expect(emulator.callCount("apps.connections.open")).toBe(2);
    expect(
      (await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "x" })).outcome,
    ).toBe("acked");
  });

  it("records an ack frame later than 3 seconds as a timeout, with its latency", async () => {
    apps.push(
      await startSocketApp(emulator, (app) => {
        app.command("/dr", async ({ ack }) => {
          // The late ack is the behaviour under test: this handler waits past Slack's 3 seconds.
          await new Promise((resolve) => setTimeout(resolve, 3_200));
          await ack({ text: "too late" });
        });
      }),
    );
    const result = await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "slow",
    });

    expect(result).toMatchObject({ outcome: "timeout", timedOut: true, status: 200 });
    expect(result.ackMs).toBeGreaterThan(3_000);
    expect(emulator.ephemerals("U0ALICE")).toEqual([]);
  }, 15_000);

  it("reports an interaction as unreachable when no app is connected", async () => {
    const result = await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "x" });
    expect(result).toMatchObject({ outcome: "unreachable", status: 0 });
  });
});
