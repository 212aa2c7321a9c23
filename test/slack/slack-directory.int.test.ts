import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/domain/config.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { directoryClient, SlackDirectory } from "../../src/slack/slack-directory.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { recordingLogger } from "../support/recording-logger.js";
import { blocksText, INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Who is in which user group, from the emulator made slow or failing, through the real WebClient:
 * people listed by ID are decided without asking Slack, groups are looked up in parallel with at
 * most 2 retries under one deadline, one lookup per group at a time, cached for the configured TTL.
 */
let emulator: SlackEmulator;
let h: SlackHarness | undefined;
const HANG = { delayMs: 60_000 };

beforeAll(async () => {
  emulator = new SlackEmulator({
    users: [
      { id: "U0A", name: "a" },
      { id: "U0B", name: "b" },
    ],
    usergroups: [
      { id: "S0ONE", handle: "one", users: ["U0A"] },
      { id: "S0TWO", handle: "two", users: ["U0A", "U0B"] },
    ],
  });
  await emulator.start();
});
afterEach(async () => {
  emulator.clearFaults();
  await h?.stop();
  h = undefined;
});
afterAll(async () => {
  await emulator?.stop();
});

/** A fetch that notes how many requests are in flight at once. */
function countingFetch() {
  const state = { inFlight: 0, most: 0 };
  const fetchFn: typeof fetch = async (input, init) => {
    state.inFlight++;
    state.most = Math.max(state.most, state.inFlight);
    try {
      return await fetch(input, init);
    } finally {
      state.inFlight--;
    }
  };
  return { fetchFn, state };
}

function directory(options: { cacheTtlMs?: number; deadlineMs?: number; fetch?: typeof fetch } = {}) {
  const log = recordingLogger();
  const dir = new SlackDirectory({
    client: directoryClient(emulator.botToken, {
      apiUrl: emulator.apiUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    groups: () => ["S0ONE", "S0TWO"],
    log,
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
  });
  return { dir, log };
}

describe("the Slack directory", () => {
  it("looks the groups up in parallel and answers the ones the person is in", async () => {
    const { fetchFn, state } = countingFetch();
    emulator.failNext("usergroups.users.list", { delayMs: 200 }, 2);
    const { dir } = directory({ fetch: fetchFn });
    expect((await dir.groupsOf("U0A")).sort()).toEqual(["S0ONE", "S0TWO"]);
    expect(await dir.groupsOf("U0B", ["S0ONE", "S0TWO"])).toEqual(["S0TWO"]);
    expect(state.most).toBe(2);
  });

  it("asks only about the groups it is given", async () => {
    emulator.resetCallCounts();
    const { dir } = directory();
    expect(await dir.groupsOf("U0A", ["S0TWO"])).toEqual(["S0TWO"]);
    expect(emulator.callCount("usergroups.users.list")).toBe(1);
  });

  it("retries a failing lookup at most twice, then counts the person in no group and logs it once", async () => {
    emulator.resetCallCounts();
    emulator.failNext("usergroups.users.list", { status: 503 }, 100);
    const { dir, log } = directory({ deadlineMs: 10_000, cacheTtlMs: 0 });
    expect(await dir.groupsOf("U0A", ["S0ONE"])).toEqual([]);
    expect(emulator.callCount("usergroups.users.list")).toBe(3);
    expect(await dir.groupsOf("U0A", ["S0ONE"])).toEqual([]);
    expect(log.messages("warn")).toEqual([
      "could not read the members of user group S0ONE; nobody counts as in it for now",
    ]);
  });

  it("gives up a lookup that does not answer by its deadline, denying, and reuses that answer briefly", async () => {
    emulator.failNext("usergroups.users.list", HANG, 100);
    emulator.resetCallCounts();
    const { dir, log } = directory({ deadlineMs: 300 });
    expect(await dir.groupsOf("U0A", ["S0ONE"])).toEqual([]);
    expect((log.lines[0]!.context.err as Error).message).toBe("Slack did not answer within 300 ms");
    const calls = emulator.callCount("usergroups.users.list");
    expect(await dir.groupsOf("U0A", ["S0ONE"])).toEqual([]);
    expect(emulator.callCount("usergroups.users.list")).toBe(calls);
  });

  it("sends one lookup per group however many decisions wait for it, and reuses it for the cache TTL", async () => {
    emulator.resetCallCounts();
    emulator.failNext("usergroups.users.list", { delayMs: 100 }, 1);
    const { dir } = directory({ cacheTtlMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => dir.groupsOf("U0A", ["S0ONE"])));
    expect(answers).toEqual(Array.from({ length: 10 }, () => ["S0ONE"]));
    await dir.groupsOf("U0B", ["S0ONE"]);
    expect(emulator.callCount("usergroups.users.list")).toBe(1);

    const uncached = directory({ cacheTtlMs: 0 }).dir;
    await uncached.groupsOf("U0A", ["S0ONE"]);
    await uncached.groupsOf("U0A", ["S0ONE"]);
    expect(emulator.callCount("usergroups.users.list")).toBe(3);
  });

  it("takes its cache TTL from the configuration (slack.directoryCacheTtl, default a minute)", () => {
    const base = testConfig();
    expect(base.slack.directoryCacheTtl).toBe(60_000);
    const { directoryCacheTtl } = configSchema.parse({
      ...JSON.parse(JSON.stringify(base)),
      slack: { ...base.slack, directoryCacheTtl: "5m" },
    }).slack;
    expect(directoryCacheTtl).toBe(300_000);
  });
});

describe("permission decisions while Slack's user groups hang", () => {
  it("decides an approver listed by ID at once, without asking Slack, and denies a group member only after the deadline", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          approvals: { required: 2 },
          phases: [{ name: "a", steps: [effect("x")] }],
        }),
      ],
    });
    h.emulator.failNext("usergroups.users.list", HANG, 1_000);
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    const card = await h.findMessage("Failover requested");
    const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
    h.emulator.resetCallCounts();

    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitFor(async () => (await h!.store.getRun(runId))?.approvals.length === 1, {
      timeoutMs: 2_000,
      description: "the listed approver's approval, well before a group lookup could time out",
    });
    expect(h.emulator.callCount("usergroups.users.list")).toBe(0);

    await h.click("U0GROUPIE", INCIDENT, card.ts, "dr:approve");
    const refusal = await h.lastEphemeral("U0GROUPIE");
    expect(refusal).toContain("You are not an approver for this kind of run");
    expect(h.emulator.callCount("usergroups.users.list")).toBeGreaterThanOrEqual(1);
    expect((await h.store.getRun(runId))?.approvals.map((a) => a.userId)).toEqual(["U0A1"]);
  });
});
