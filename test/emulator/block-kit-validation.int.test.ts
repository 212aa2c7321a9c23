import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { validateBlocks } from "../../src/emulator/block-kit-validation.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
const button = (overrides: Record<string, unknown> = {}) => ({
  type: "button",
  action_id: "dr:approve",
  text: { type: "plain_text", text: "Approve" },
  value: "run-1",
  ...overrides,
});
const actions = (...elements: unknown[]) => ({ type: "actions", elements });

describe("Block Kit validation", () => {
  it("accepts blocks within every limit", () => {
    expect(
      validateBlocks([
        { type: "header", text: { type: "plain_text", text: "h".repeat(150) } },
        section("s".repeat(3000)),
        {
          type: "section",
          fields: Array.from({ length: 10 }, () => ({ type: "mrkdwn", text: "f".repeat(2000) })),
        },
        { type: "context", elements: Array.from({ length: 10 }, () => ({ type: "mrkdwn", text: "c" })) },
        actions(
          ...Array.from({ length: 25 }, (_, i) =>
            button({
              action_id: `a${i}`.padEnd(255, "x"),
              text: { type: "plain_text", text: "b".repeat(75) },
              value: "v".repeat(2000),
            }),
          ),
        ),
        { type: "divider", block_id: "d".repeat(255) },
      ]),
    ).toEqual([]);
    expect(validateBlocks(Array.from({ length: 50 }, () => ({ type: "divider" })))).toEqual([]);
  });

  it.each([
    [
      "51 blocks",
      Array.from({ length: 51 }, () => ({ type: "divider" })),
      "no more than 50 items allowed [json-pointer:/blocks]",
    ],
    [
      "an unknown block type",
      [{ type: "carousel" }],
      "failed to match all allowed schemas [json-pointer:/blocks/0]",
    ],
    [
      "section text of 3001",
      [section("s".repeat(3001))],
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "11 section fields",
      [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) }],
      "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ],
    [
      "a section field of 2001",
      [{ type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] }],
      "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ],
    [
      "header text of 151",
      [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }],
      "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "a mrkdwn header",
      [{ type: "header", text: { type: "mrkdwn", text: "*h*" } }],
      "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
    ],
    [
      "button text of 76",
      [actions(button({ text: { type: "plain_text", text: "b".repeat(76) } }))],
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ],
    [
      "an action_id of 256",
      [actions(button({ action_id: "a".repeat(256) }))],
      "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ],
    [
      "a block_id of 256",
      [{ type: "divider", block_id: "b".repeat(256) }],
      "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ],
    [
      "a button value of 2001",
      [actions(button({ value: "v".repeat(2001) }))],
      "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ],
    [
      "26 action elements",
      [actions(...Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))],
      "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ],
    [
      "11 context elements",
      [{ type: "context", elements: Array.from({ length: 11 }, () => ({ type: "plain_text", text: "c" })) }],
      "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ],
    [
      "an unknown element",
      [actions({ type: "slider", action_id: "s" })],
      "failed to match all allowed schemas [json-pointer:/blocks/0/elements/0]",
    ],
    [
      "a bad button style",
      [actions(button({ style: "warning" }))],
      "must be one of: primary, danger [json-pointer:/blocks/0/elements/0/style]",
    ],
    [
      "duplicate block_ids",
      [
        { type: "divider", block_id: "x" },
        { type: "divider", block_id: "x" },
      ],
      "duplicate block_id [json-pointer:/blocks/1/block_id]",
    ],
    [
      "empty section text",
      [section("")],
      "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ],
  ])("refuses %s", (_name, blocks, expected) => {
    expect(validateBlocks(blocks)).toContain(expected);
  });
});

describe("invalid_blocks through the Web API", () => {
  let emulator: SlackEmulator | undefined;
  afterEach(async () => {
    await emulator?.stop();
  });

  it("answers 51 blocks with invalid_blocks and Slack's error messages, and stores nothing", async () => {
    emulator = new SlackEmulator();
    await emulator.start();
    const client = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
    });
    const blocks = Array.from({ length: 51 }, (_, i) => section(`step ${i}`));
    await expect(
      client.chat.postMessage({ channel: "C0GENERAL", text: "run", blocks }),
    ).rejects.toMatchObject({
      data: {
        ok: false,
        error: "invalid_blocks",
        errors: ["no more than 50 items allowed [json-pointer:/blocks]"],
        response_metadata: { messages: ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"] },
      },
    });
    const posted = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "run",
      blocks: blocks.slice(0, 50),
    });
    await expect(
      client.chat.update({
        channel: "C0GENERAL",
        ts: posted.ts!,
        text: "run",
        blocks: [{ type: "carousel" }],
      }),
    ).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    expect(emulator.versions("C0GENERAL", posted.ts!)).toHaveLength(1);
    await expect(
      client.apiCall("chat.postMessage", { channel: "C0GENERAL", text: "x", blocks: "[not json" }),
    ).rejects.toMatchObject({ data: { error: "invalid_blocks_format" } });
    expect(emulator.events("api_call").filter((e) => e.error === "invalid_blocks")).toHaveLength(2);
  });
});
