import { afterEach, describe, expect, it } from "vitest";
import { runText } from "../../src/cli/render-text.js";
import { ANNOTATION } from "../../src/domain/run-annotations.js";
import type { SlackFailure } from "../../src/slack/slack-failure.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect, Ledger, ledgerStepKind } from "../support/engine-harness.js";
import { recordingLogger } from "../support/recording-logger.js";
import {
  blocksText,
  INCIDENT,
  latestMessage,
  type SlackHarness,
  startSlackHarness,
} from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The run notifier when Slack refuses its posts, through the real WebClient against the emulator's
 * injected faults: a refusal for good (the channel is gone, the bot was removed) stops the run's
 * updates and is said in the log, the metric hook, the run's record (status, show); a passing
 * failure is retried with the newest state, less often each time, with one record per run.
 */
let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "a", steps: [effect("scale-up"), effect("hold"), effect("switch-dns")] }],
});

/** Step "hold" waits for `release()`, so the run stays active while the test looks at it. */
function heldRun() {
  const ledger = new Ledger();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const kind = ledgerStepKind(ledger, {
    before: async (key) => {
      if (key === "hold") await released;
    },
  });
  return { ledger, kind, release };
}

async function requestFailover(harness: SlackHarness) {
  await harness.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
  const card = await harness.findMessage("Failover requested");
  const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
  return { card, runId };
}

const chatCalls = (harness: SlackHarness) =>
  harness.emulator.callCount("chat.update") + harness.emulator.callCount("chat.postMessage");

describe("the run notifier when Slack refuses its messages", () => {
  it("stops updating a run after channel_not_found and says so: log, metric, the run's record, status and show", async () => {
    const log = recordingLogger();
    const stopped: { runId: string; failure: SlackFailure }[] = [];
    const held = heldRun();
    h = await startSlackHarness({
      runbooks: [failover],
      ledger: held.ledger,
      extraKinds: [held.kind],
      log,
      onRunUpdatesStopped: (runId, failure) => stopped.push({ runId, failure }),
      slack: { runUpdates: { minIntervalMs: 20 } },
    });
    const { card, runId } = await requestFailover(h);
    // From now on Slack answers every post and edit with channel_not_found (the channel was deleted).
    h.emulator.failNext("chat.update", { error: "channel_not_found" }, 1_000);
    h.emulator.failNext("chat.postMessage", { error: "channel_not_found" }, 1_000);
    const before = chatCalls(h);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitFor(() => stopped.length > 0, { timeoutMs: 10_000, description: "the updates to stop" });
    await h.store.getRun(runId).then((run) => expect(run?.state).toBe("running"));

    // The run goes on; Slack hears nothing more about it.
    held.release();
    await waitFor(async () => (await h!.store.getRun(runId))?.state === "completed", {
      timeoutMs: 10_000,
      description: "the run to complete",
    });
    await h.surface.notifier.idle(5_000);
    expect(chatCalls(h) - before).toBe(1);
    expect(held.ledger.entries).toEqual(["scale-up", "hold", "switch-dns"]);
    expect(h.surface.notifier.hasStopped(runId)).toBe(true);
    expect(h.surface.notifier.problems()).toEqual([]);

    expect(stopped).toEqual([
      { runId, failure: expect.objectContaining({ permanent: true, code: "channel_not_found" }) },
    ]);
    const errors = log.lines.filter((l) => l.level === "error" && l.context.runId === runId);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("Slack refuses this run's messages for good (channel_not_found");
    expect(errors[0]!.context.slackError).toBe("channel_not_found");

    const run = (await h.store.getRun(runId))!;
    expect(run.annotations[ANNOTATION.slackUpdates]).toBe(
      "stopped: channel_not_found: the channel does not exist, or the bot cannot see it",
    );
    const note = (await h.store.readEvents(runId)).find((e) => e.actor === "slack");
    expect(note).toMatchObject({
      actor: "slack",
      data: { slackUpdates: "stopped", error: "channel_not_found" },
    });
    const shown = runText(run, await h.store.getSteps(runId), Date.now());
    expect(shown).toContain("slack:     updates stopped: channel_not_found: the channel does not exist");
  });

  it("names a run whose updates stopped in status while it is active", async () => {
    const held = heldRun();
    h = await startSlackHarness({
      runbooks: [failover],
      ledger: held.ledger,
      extraKinds: [held.kind],
      slack: { runUpdates: { minIntervalMs: 20 } },
    });
    const { card, runId } = await requestFailover(h);
    h.emulator.failNext("chat.update", { error: "not_in_channel" }, 1_000);
    h.emulator.failNext("chat.postMessage", { error: "not_in_channel" }, 1_000);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitFor(() => h!.surface.notifier.hasStopped(runId), { timeoutMs: 10_000 });
    await waitFor(
      async () => (await h!.store.getRun(runId))?.annotations[ANNOTATION.slackUpdates] !== undefined,
      {
        timeoutMs: 5_000,
        description: "the stop to be written on the run",
      },
    );
    const status = await h.service.status();
    expect(status.warnings).toContain(
      `run ${runId}: Slack updates stopped: not_in_channel: the bot is not a member of the channel (invite it)`,
    );
    held.release();
  });

  it("does not pause a run at its announcement when Slack refuses the run's channel for good", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          approvals: { required: 2 },
          phases: [
            {
              name: "a",
              steps: [
                effect("scale-up"),
                { id: "announce", title: "Announce", kind: "notify", with: { text: "Failover complete" } },
              ],
            },
          ],
        }),
      ],
      slack: { runUpdates: { minIntervalMs: 20 } },
    });
    const { card, runId } = await requestFailover(h);
    h.emulator.failNext("chat.update", { error: "is_archived" }, 1_000);
    h.emulator.failNext("chat.postMessage", { error: "is_archived" }, 1_000);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitFor(async () => (await h!.store.getRun(runId))?.state === "completed", {
      timeoutMs: 10_000,
      description: "the run to complete",
    });
    const announce = (await h.store.getSteps(runId)).get("announce")!;
    expect(announce.status).toBe("succeeded");
    expect(announce.output).toBe("(not posted: no Slack channel, or Slack refuses it) Failover complete");
    expect(h.surface.notifier.hasStopped(runId)).toBe(true);
  });

  it("retries a passing failure with the newest state, keeping one record for the run however often it fails", async () => {
    const held = heldRun();
    h = await startSlackHarness({
      runbooks: [failover],
      ledger: held.ledger,
      extraKinds: [held.kind],
      slack: { runUpdates: { minIntervalMs: 10, maxBackoffMs: 40 } },
    });
    const { card, runId } = await requestFailover(h);
    // Slack errs on its side for the next 6 edits (a platform error the WebClient does not retry).
    h.emulator.failNext("chat.update", { error: "internal_error" }, 6);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    let most = 0;
    let failures = 0;
    await waitFor(
      () => {
        const problems = h!.surface.notifier.problems();
        most = Math.max(most, problems.length);
        failures = Math.max(failures, problems[0]?.failures ?? 0);
        return failures >= 4;
      },
      { timeoutMs: 10_000, description: "several failures in a row" },
    );
    expect(h.surface.notifier.problems()).toEqual([
      {
        runId,
        failures: expect.any(Number),
        failure: expect.objectContaining({ permanent: false, code: "internal_error" }),
      },
    ]);
    await waitFor(() => blocksText(latestMessage(h!, card)).includes("1/2"), {
      timeoutMs: 10_000,
      description: "the card to show the approval once Slack answers again",
    });
    await waitFor(() => h!.surface.notifier.problems().length === 0, { timeoutMs: 5_000 });
    expect(most).toBe(1);
    expect(h.surface.notifier.hasStopped(runId)).toBe(false);
    held.release();
  });
});
