import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvironment } from "../../src/config/environment.js";
import { DEMO_CHANNEL } from "../../src/demo/demo-config.js";
import { type RunningDemo, startDemo } from "../../src/demo/start-demo.js";
import type { StoredMessage } from "../../src/emulator/workspace-state.js";
import { typeDrCommand } from "../support/confirm-run.js";
import { readTimelinePicture } from "../support/svg-picture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The end of the demo's story, as `drbot serve` tells it: a failover driven through the emulator
 * (typed, approved by two people, its checklist ticked) ends with its report posted in the channel:
 * the timeline picture, the Markdown and the JSON, as three files on one message.
 */
const CHANNEL = DEMO_CHANNEL.id;
const UI_TIMEOUT = 20_000;

let demo: RunningDemo;

beforeAll(async () => {
  demo = await startDemo({ root: process.cwd(), env: parseEnvironment(process.env), replicaReadyMs: 100 });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
});

const buttonsOf = (m: StoredMessage | undefined): string[] =>
  [...JSON.stringify(m?.blocks ?? []).matchAll(/"action_id":"([^"]+)"/g)].map((x) => x[1]!);

describe("the demo", () => {
  it("posts a failover's report, with its timeline picture, when the run completes", async () => {
    const { emulator } = demo;
    await typeDrCommand(emulator, {
      userId: "U0ONCALL1",
      channelId: CHANNEL,
      text: 'failover payments --reason "DC1 power loss"',
    });
    const card = await emulator.waitForMessage(CHANNEL, "Failover requested", { timeoutMs: UI_TIMEOUT });
    for (const approver of ["U0APPROVER1", "U0APPROVER2"])
      await emulator.sendBlockAction({
        userId: approver,
        channelId: CHANNEL,
        messageTs: card.ts,
        actionId: "dr:approve",
      });
    const [run] = await demo.runtime.store.listRuns();
    expect(run?.kind).toBe("failover");
    const runId = run!.id;
    const progress = await emulator.waitForMessage(CHANNEL, `Failover ${runId}`, { timeoutMs: UI_TIMEOUT });

    // The demo's checklist stands in for DNS and HTTP checks: tick both items, as a person would.
    for (const item of [0, 1]) {
      const tick = `dr:tick:${item}`;
      await emulator.waitFor(() => buttonsOf(emulator.message(CHANNEL, progress.ts)).includes(tick), {
        timeoutMs: UI_TIMEOUT,
        description: `the button of checklist item ${item}`,
      });
      await emulator.sendBlockAction({
        userId: "U0APPROVER2",
        channelId: CHANNEL,
        messageTs: progress.ts,
        actionId: tick,
      });
      await waitFor(
        async () =>
          ((await demo.runtime.store.getSteps(runId)).get("confirm-traffic")?.attestations?.length ?? 0) >
          item,
        { timeoutMs: UI_TIMEOUT, description: `the tick of item ${item} recorded` },
      );
    }

    const report = await emulator.waitFor(
      () =>
        emulator
          .messages(CHANNEL)
          .find((m) => m.text.startsWith(`The report of ${runId}`) && m.fileIds.length === 3),
      { timeoutMs: 30_000, description: "the failover's report in the channel" },
    );
    expect(report.text).toMatch(new RegExp(`^The report of ${runId}: completed`));
    expect((await demo.runtime.store.getRun(runId))?.state).toBe("completed");
    const files = emulator.files().filter((f) => report.fileIds.includes(f.id));
    expect(files.map((f) => f.filename).sort()).toEqual(
      [`${runId}-report.json`, `${runId}-report.md`, `${runId}-timeline.svg`].sort(),
    );
    const svg = files.find((f) => f.filename.endsWith("timeline.svg"))!.content!.toString();
    const picture = readTimelinePicture(svg);
    // One bar per step, the ticked checklist and the announcement among them, all succeeded.
    expect(picture.steps.map((s) => s.id)).toEqual(
      expect.arrayContaining(["dr-site-health", "fence-primary", "confirm-traffic", "announce"]),
    );
    expect(picture.steps.map((s) => s.status)).toEqual(picture.steps.map(() => "succeeded"));
    const markdown = files.find((f) => f.filename.endsWith("report.md"))!.content!.toString();
    expect(markdown).toContain("DNS weights show DC2 at 100");
    // One report per run.
    expect(
      emulator.messages(CHANNEL).filter((m) => m.text.startsWith(`The report of ${runId}`)),
    ).toHaveLength(1);
  }, 90_000);
});
