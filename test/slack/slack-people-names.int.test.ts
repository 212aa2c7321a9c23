import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { directoryClient } from "../../src/slack/slack-directory.js";
import { SlackPeopleNames } from "../../src/slack/slack-people-names.js";
import { expectWithinDeadline } from "../support/deadline.js";
import { recordingLogger } from "../support/recording-logger.js";

/**
 * People's names for reports and the CLI, read from the emulator through the real WebClient: the
 * real name of each person, cached; someone Slack does not know, or a Slack that does not answer
 * within the deadline, leaves that person out (shown by ID) instead of holding the report.
 */
let emulator: SlackEmulator;
const HANG = { delayMs: 60_000 };

beforeAll(async () => {
  emulator = new SlackEmulator({
    users: [
      { id: "U0ALICE", name: "alice", realName: "Alice Oncall" },
      { id: "U0BOB", name: "bob" },
    ],
  });
  await emulator.start();
});
afterEach(() => emulator.clearFaults());
afterAll(async () => {
  await emulator?.stop();
});

const names = (deadlineMs = 2_000) => {
  const log = recordingLogger();
  const client = directoryClient(emulator.botToken, { apiUrl: emulator.apiUrl });
  return { names: new SlackPeopleNames(client, { log, deadlineMs }), log };
};

describe("people's names from Slack", () => {
  it("names each person by their real name, else their handle, and leaves out whoever Slack does not know", async () => {
    const { names: n } = names();
    const found = await n.namesOf(["U0ALICE", "U0BOB", "U0NOBODY", "drbot-calendar"]);
    expect(Object.fromEntries(found)).toEqual({ U0ALICE: "Alice Oncall", U0BOB: "bob" });
  });

  it("asks Slack once per person while the name is cached", async () => {
    const { names: n } = names();
    const before = emulator.callCount("users.info");
    await n.namesOf(["U0ALICE"]);
    await n.namesOf(["U0ALICE", "U0ALICE"]);
    expect(emulator.callCount("users.info") - before).toBe(1);
  });

  it("answers within its deadline when Slack hangs, with the names it has, and says so in the log once", async () => {
    const { names: n, log } = names(300);
    await n.namesOf(["U0ALICE"]);
    emulator.failNext("users.info", HANG, 5);
    const started = Date.now();
    const found = await n.namesOf(["U0ALICE", "U0BOB"]);
    expect(Object.fromEntries(found)).toEqual({ U0ALICE: "Alice Oncall" });
    // A bound on the deadline, not a benchmark: the hang is 60 s.
    expectWithinDeadline(Date.now() - started, 300, "names while Slack hangs (300 ms deadline)");
    emulator.failNext("users.info", { status: 500 }, 5);
    await n.namesOf(["U0BOB"]);
    await n.namesOf(["U0BOB"]);
    expect(log.messages("warn").filter((m) => m.includes("could not read a person's name"))).toHaveLength(1);
  });
});
