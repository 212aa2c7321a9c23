import { afterEach, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { type RecordingLogger, recordingLogger } from "../support/recording-logger.js";
import { blocksText, INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";

/**
 * What a person sees when drbot fails in a way nobody planned for, through the emulator and the real
 * @slack/bolt: a short reference and no internals; the operators find the same reference in the
 * log, with the error, what was being done and for whom.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "a", steps: [effect("scale-up")] }],
});

const REFERENCE = /^Something went wrong \(ref ([0-9a-f]{6})\); the operators can find it in drbot's logs\.$/;

/** A memory store whose reads fail, when told to, the way a broken disk or driver would. */
class BreakableStore extends MemoryRunStore {
  broken = false;
  override async listRuns(...args: Parameters<MemoryRunStore["listRuns"]>) {
    if (this.broken) throw new Error("disk on fire at /var/lib/drbot");
    return super.listRuns(...args);
  }
  override async getRun(...args: Parameters<MemoryRunStore["getRun"]>) {
    if (this.broken) throw new Error("disk on fire at /var/lib/drbot");
    return super.getRun(...args);
  }
}

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The reference in the person's answer, and the one error line of the log that carries it. */
function referenceIn(text: string, log: RecordingLogger) {
  const ref = REFERENCE.exec(text)?.[1];
  expect(ref, `"${text}" should give a reference`).toBeDefined();
  const lines = log.lines.filter((l) => l.context.ref === ref);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.level).toBe("error");
  return lines[0]!;
}

describe("an unexpected failure in a listener", () => {
  it("answers /dr runs with a reference when the store fails, and logs the error under it", async () => {
    const log = recordingLogger();
    const store = new BreakableStore({ now: () => Date.now() });
    h = await startSlackHarness({ runbooks: [failover], store, log });
    store.broken = true;
    await h.dr("U0ONCALL", "runs");
    const text = await h.lastEphemeral("U0ONCALL");
    expect(text).not.toContain("disk on fire");
    const line = referenceIn(text, log);
    expect(line.context).toMatchObject({
      operation: "slack.command.runs",
      user: "U0ONCALL",
      channel: INCIDENT,
      component: "slack",
    });
    expect((line.context.err as Error).message).toBe("disk on fire at /var/lib/drbot");
  });

  it("answers a click with a reference when the use case fails, and logs the error under it", async () => {
    const log = recordingLogger();
    const store = new BreakableStore({ now: () => Date.now() });
    h = await startSlackHarness({ runbooks: [failover], store, log });
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 down"');
    const card = await h.findMessage("Failover requested");
    expect(blocksText(card)).toContain("dr:approve");
    store.broken = true;
    const seen = h.ephemeralCount("U0A1");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    const text = await h.lastEphemeral("U0A1", seen);
    const line = referenceIn(text, log);
    expect(line.context).toMatchObject({ operation: "slack.action.dr:approve", user: "U0A1" });
    expect((line.context.err as Error).message).toBe("disk on fire at /var/lib/drbot");
  });

  it("keeps refusals as they were: the headline and why, no reference, nothing logged as an error", async () => {
    const log = recordingLogger();
    h = await startSlackHarness({ runbooks: [failover], log });
    await h.dr("U0ONCALL", "show failover-0000-0000-000000");
    expect(await h.lastEphemeral("U0ONCALL")).toMatch(/^\*No such run\*/);
    expect(log.messages("error")).toEqual([]);
  });
});

describe.each(["http", "socket"] as const)("app.error in %s mode", (mode) => {
  it("logs what escaped a listener with a reference, and tells the person that reference", async () => {
    const log = recordingLogger();
    h = await startSlackHarness({ mode, runbooks: [failover], log });
    // A listener beside drbot's own that lets an error escape, as a bug in a new listener would.
    h.surface.app.command("/boom", async ({ ack }) => {
      await ack();
      throw new Error("listener exploded");
    });
    await h.emulator.sendSlashCommand({ userId: "U0ONCALL", channelId: INCIDENT, command: "/boom" });
    const line = referenceIn(await h.lastEphemeral("U0ONCALL"), log);
    expect(line.context).toMatchObject({
      operation: "slack.command.boom",
      user: "U0ONCALL",
      channel: INCIDENT,
    });
    expect((line.context.err as Error).message).toBe("listener exploded");
  });
});
