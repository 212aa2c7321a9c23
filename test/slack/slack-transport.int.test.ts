import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/domain/run.js";
import type { InteractionResult, StoredMessage } from "../../src/emulator/slack-emulator.js";
import type { RunStore } from "../../src/ports/run-store.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect, Ledger, ledgerStepKind } from "../support/engine-harness.js";
import { recordingLogger } from "../support/recording-logger.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import {
  blocksText,
  type DeliveryRecorder,
  INCIDENT,
  latestMessage,
  recordDeliveries,
  type SlackHarness,
  startSlackHarness,
  waitForBlocksText,
} from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The Slack transport under what the network does to it: captured requests sent again, Slack's
 * retries and people's double clicks, clicks on runs that cannot act any more, and a response_url
 * that never answers. Everything goes through the emulator and the real @slack/bolt.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "a", steps: [effect("scale-up"), effect("switch-dns")] }],
});

let redis: RedisServer;
let h: SlackHarness | undefined;
let recorder: DeliveryRecorder | undefined;
let store: RunStore | undefined;
let silent: SilentServer | undefined;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await recorder?.stop();
  await h?.stop();
  await store?.close();
  await silent?.stop();
  recorder = undefined;
  h = undefined;
  store = undefined;
  silent = undefined;
});

async function storeOf(kind: "memory" | "redis"): Promise<RunStore | undefined> {
  if (kind === "memory") return undefined;
  store = await openTestRedisStore(redis.url, `transport-${process.pid}-${++prefixes}:`);
  return store;
}

const latest = (m: StoredMessage) => latestMessage(h!, m);
const cards = () => h!.emulator.messages(INCIDENT).filter((m) => m.text.startsWith("Failover requested"));

const waitForText = (m: StoredMessage, needle: string) => waitForBlocksText(h!, m, needle);

async function requestFailover(): Promise<{ card: StoredMessage; runId: string }> {
  const ack = await h!.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
  expect(ack.status).toBe(200);
  const card = await h!.findMessage("Failover requested");
  const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
  await h!.emulator.waitForEphemeral("U0ONCALL", `Requested \`${runId}\``, { timeoutMs: 10_000 });
  return { card, runId };
}

/** What a click could change: the run's version and its audit trail. */
async function snapshotRun(runId: string): Promise<{ version: number | undefined; events: RunEvent[] }> {
  const run = await h!.store.getRun(runId);
  return { version: run?.version, events: await h!.store.readEvents(runId) };
}

/** The ephemerals `user` got after the first `seen`, once there are `count` of them. */
async function nextEphemerals(user: string, seen: number, count = 1): Promise<string[]> {
  await waitFor(() => h!.ephemeralCount(user) >= seen + count, {
    description: `${count} new ephemeral(s) for ${user}`,
  });
  return h!.emulator
    .ephemerals(user)
    .slice(seen)
    .map((e) => e.text);
}

/** Slack signs each retry when it sends it, seconds after the first: a new timestamp and signature. */
const retry = (previous: InteractionResult, secondsLater: number) =>
  h!.emulator.redeliver(previous, { forgery: { timestampOffsetSec: secondsLater } });

describe.each(["memory", "redis"] as const)("replayed requests on the %s store", (kind) => {
  it("refuses a captured Resume click sent again (401) and the paused run does not move", async () => {
    let failures = 0;
    const ledger = new Ledger();
    const flaky = ledgerStepKind(ledger, {
      before: (key) => {
        if (key === "scale-up" && failures < 2) {
          failures++;
          throw new Error("DC2 API refused");
        }
      },
    });
    const runStore = await storeOf(kind);
    h = await startSlackHarness({
      runbooks: [failover],
      extraKinds: [flaky],
      ledger,
      ...(runStore ? { store: runStore } : {}),
    });
    const { card, runId } = await requestFailover();
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForText(progress, "dr:resume");

    recorder = await recordDeliveries(h.emulator);
    const resumed = await h.click("U0A1", INCIDENT, progress.ts, "dr:resume");
    expect(resumed.status).toBe(200);
    const captured = recorder.captured.at(-1)!;
    // The resumed step fails once more: the run is paused again, exactly where a replay would act.
    await waitFor(
      async () => failures === 2 && (await h!.store.getRun(runId))?.state === "paused_failed_step",
      {
        description: "the run to pause a second time",
      },
    );
    await h.surface.notifier.idle();
    const before = await snapshotRun(runId);

    expect(await recorder.resend(captured)).toBe(401);
    // X-Slack-Retry-Num is not signed: adding it does not make a repeat a retry.
    expect(
      await recorder.resend(captured, { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }),
    ).toBe(401);
    expect(await snapshotRun(runId)).toEqual(before);
    expect((await h.store.getRun(runId))!.state).toBe("paused_failed_step");

    // A new click is signed afresh and acts.
    await h.click("U0A1", INCIDENT, progress.ts, "dr:resume");
    await waitForText(progress, "Summary");
    expect(ledger.entries).toEqual(["scale-up", "switch-dns"]);
  });

  it("refuses a captured /dr failover sent again (401), with or without a retry header", async () => {
    const runStore = await storeOf(kind);
    h = await startSlackHarness({ runbooks: [failover], ...(runStore ? { store: runStore } : {}) });
    recorder = await recordDeliveries(h.emulator);
    const { runId } = await requestFailover();
    const captured = recorder.captured[0]!;
    const before = await snapshotRun(runId);
    expect(await recorder.resend(captured)).toBe(401);
    expect(await recorder.resend(captured, { "x-slack-retry-num": "2" })).toBe(401);
    expect(await snapshotRun(runId)).toEqual(before);
    expect(await h.store.listRuns()).toHaveLength(1);
    expect(cards()).toHaveLength(1);
  });
});

describe.each([
  ["http", "memory"],
  ["http", "redis"],
  ["socket", "memory"],
] as const)("Slack retries and double clicks (%s mode, %s store)", (mode, kind) => {
  it("a /dr failover delivered four times and an Approve clicked twice and retried: one run, one approval, one card", async () => {
    const runStore = await storeOf(kind);
    h = await startSlackHarness({ mode, runbooks: [failover], ...(runStore ? { store: runStore } : {}) });
    const first = await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    let previous = first;
    for (let n = 1; n <= 3; n++) {
      previous = await retry(previous, n);
      expect(previous.status, `retry ${n}`).toBe(200);
      expect(previous.outcome, `retry ${n}`).toBe("acked");
      expect(previous.retryNum).toBe(n);
    }
    const card = await h.findMessage("Failover requested");
    const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
    await h.emulator.waitForEphemeral("U0ONCALL", `Requested \`${runId}\``, { timeoutMs: 10_000 });

    const seen = h.ephemeralCount("U0A1");
    const click = await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    expect((await retry(click, 1)).outcome).toBe("acked");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    const answers = await nextEphemerals("U0A1", seen, 3);
    expect(answers.filter((t) => t.includes("Approved (1/2)"))).toHaveLength(1);
    expect(answers.filter((t) => t.includes("You already approved this"))).toHaveLength(2);
    await waitForText(card, "1/2");
    await h.surface.notifier.idle();

    expect((await h.store.listRuns()).map((r) => r.id)).toEqual([runId]);
    const run = (await h.store.getRun(runId))!;
    expect(run.approvals.map((a) => a.userId)).toEqual(["U0A1"]);
    const events = await h.store.readEvents(runId);
    expect(events.filter((e) => e.type === "run.requested")).toHaveLength(1);
    expect(events.filter((e) => e.type === "run.approval")).toHaveLength(1);
    expect(cards()).toHaveLength(1);
    expect(h.emulator.ephemerals("U0ONCALL").filter((e) => e.text.includes("Requested `"))).toHaveLength(1);
  });
});

describe("clicks that cannot act", () => {
  const quick = testRunbook({
    name: "failover",
    approvals: { required: 1 },
    phases: [{ name: "a", steps: [effect("switch-dns")] }],
  });

  it("explains a click on a finished run and leaves the run as it was", async () => {
    h = await startSlackHarness({ runbooks: [quick] });
    const { card, runId } = await requestFailover();
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForText(progress, "Summary");
    await h.surface.notifier.idle();
    const run = (await h.store.getRun(runId))!;
    expect(run.state).toBe("completed");
    const before = await snapshotRun(runId);

    // The finished messages show no buttons any more: the clicks carry the values they once had.
    const seen = h.ephemeralCount("U0A2");
    const clicks = [
      { ts: card.ts, actionId: "dr:approve", value: `${runId}|${run.plan.hash}` },
      { ts: card.ts, actionId: "dr:reject", value: runId },
      { ts: progress.ts, actionId: "dr:abort", value: runId },
      { ts: progress.ts, actionId: "dr:resume", value: runId },
    ];
    for (const c of clicks) {
      const answer = await h.emulator.sendBlockAction({
        userId: "U0A2",
        channelId: INCIDENT,
        messageTs: c.ts,
        actionId: c.actionId,
        value: c.value,
      });
      expect(answer.outcome, c.actionId).toBe("acked");
    }
    const answers = await nextEphemerals("U0A2", seen, clicks.length);
    expect(
      answers.filter((t) => t.includes("This request was already decided")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(answers.some((t) => t.includes(`run ${runId} already ended (completed)`))).toBe(true);
    expect(
      answers.some((t) => t.includes(`run ${runId} is completed; only a paused run can be resumed`)),
    ).toBe(true);

    const after = await snapshotRun(runId);
    expect(after.version).toBe(before.version);
    expect(after.events.slice(0, before.events.length)).toEqual(before.events);
    // What the clicks left is their refusal in the audit trail, and nothing else.
    const added = after.events.slice(before.events.length);
    expect(added).toHaveLength(clicks.length);
    expect(added.every((e) => e.type === "run.refusal" && e.actor === "U0A2")).toBe(true);
    expect((await h.store.getRun(runId))!.state).toBe("completed");
  });

  it("explains a click on an unknown run and changes nothing", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const { card, runId } = await requestFailover();
    const before = await snapshotRun(runId);
    const seen = h.ephemeralCount("U0A1");
    for (const [actionId, value] of [
      ["dr:approve", "failover-0101-0000-nosuch|deadbeef"],
      ["dr:abort", "failover-0101-0000-nosuch"],
    ] as const) {
      const answer = await h.emulator.sendBlockAction({
        userId: "U0A1",
        channelId: INCIDENT,
        messageTs: card.ts,
        actionId,
        value,
      });
      expect(answer.outcome).toBe("acked");
    }
    const answers = await nextEphemerals("U0A1", seen, 2);
    for (const text of answers) {
      expect(text).toContain("No such run");
      expect(text).toContain("no run failover-0101-0000-nosuch");
    }
    expect(await h.store.getRun("failover-0101-0000-nosuch")).toBeUndefined();
    expect(await h.store.readEvents("failover-0101-0000-nosuch")).toEqual([]);
    expect(await snapshotRun(runId)).toEqual(before);
    expect((await h.store.listRuns()).map((r) => r.id)).toEqual([runId]);
    expect(cards()).toHaveLength(1);
  });

  it("tells a late approver the request expired; the card shows Expired and nothing was approved", async () => {
    h = await startSlackHarness({
      runbooks: [testRunbook({ ...failover, name: "failover", approvals: { required: 2, expiry: "1ms" } })],
    });
    const ack = await h.dr("U0ONCALL", 'failover payments --reason "x"');
    expect(ack.status).toBe(200);
    const card = await h.findMessage("Failover requested");
    const run = (await h.store.listRuns())[0]!;
    await h.surface.notifier.idle();
    const before = await snapshotRun(run.id);
    const seen = h.ephemeralCount("U0A1");
    await h.emulator.sendBlockAction({
      userId: "U0A1",
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value: `${run.id}|${run.plan.hash}`,
    });
    const [text] = await nextEphemerals("U0A1", seen);
    expect(text).toMatch(/This request has expired/);
    expect(text).not.toMatch(/plan changed/i);
    const after = await snapshotRun(run.id);
    expect(after.version).toBe(before.version);
    expect(after.events.slice(before.events.length).map((e) => [e.type, e.actor, e.data.code])).toEqual([
      ["run.refusal", "U0A1", "approval_expired"],
    ]);
    expect((await h.store.getRun(run.id))!.approvals).toEqual([]);

    // The housekeeping every replica runs marks the request expired; the card says so, without buttons.
    expect((await h.service.supervise()).expired).toEqual([run.id]);
    await waitForText(card, "*Expired* at <!date^");
    expect(blocksText(latest(card))).toContain("without the approvals it needed. Nothing was changed.");
    expect(blocksText(latest(card))).not.toContain("dr:approve");
    expect((await h.store.getRun(run.id))!.approvals).toEqual([]);
  });

  it("refuses an ineligible approver by ephemeral and records the refusal in the audit stream, not the run's trail", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const { card, runId } = await requestFailover();
    const before = await snapshotRun(runId);
    await h.click("U0STRANGER", INCIDENT, card.ts, "dr:approve");
    const [text] = await nextEphemerals("U0STRANGER", 0);
    expect(text).toContain("You are not an approver for this kind of run");
    const after = await snapshotRun(runId);
    expect(after.version).toBe(before.version);
    expect(after.events).toEqual(before.events);
    expect(await h.store.readAudit()).toMatchObject([
      { type: "run.refusal", actor: "U0STRANGER", runId, data: { code: "not_eligible" } },
    ]);
    expect((await h.store.getRun(runId))!.approvals).toEqual([]);
    expect(blocksText(latest(card))).toContain("0/2");
    // The refusal reached the clicker alone: nothing about it in the channel.
    expect(h.emulator.messages(INCIDENT).some((m) => m.text.includes("U0STRANGER"))).toBe(false);
  });
});

describe("response_url deadlines", () => {
  it("gives up a response_url post that never answers, and the next click is answered", async () => {
    const log = recordingLogger();
    h = await startSlackHarness({ runbooks: [failover], log, slack: { responseUrlTimeoutMs: 300 } });
    silent = await startSilentServer();
    const { card } = await requestFailover();
    recorder = await recordDeliveries(h.emulator);
    await h.click("U0STRANGER", INCIDENT, card.ts, "dr:approve");
    await nextEphemerals("U0STRANGER", 0);

    // The same click, its response_url pointing at an endpoint that takes the request and never answers.
    const payload = JSON.parse(new URLSearchParams(recorder.captured.at(-1)!.body).get("payload")!);
    payload.response_url = `${silent.url}/response/T0DRTEAM/never`;
    const status = await recorder.sendSigned(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    );
    expect(status).toBe(200);

    await waitFor(() => silent!.abandoned >= 1, {
      timeoutMs: 5_000,
      description: "the bot to give up the response_url post",
    });
    expect(silent.received).toBe(1);
    // The deadline gave the post up, and the listener, unable to answer, said so too.
    expect(log.messages("warn")).toEqual([
      "a response_url post got no answer within 300 ms and was given up",
      "could not answer the person in Slack",
    ]);

    const seen = h.ephemeralCount("U0A1");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    expect(await nextEphemerals("U0A1", seen)).toEqual([expect.stringContaining("Approved (1/2)")]);
  });
});

interface SilentServer {
  url: string;
  /** Requests that arrived. */
  received: number;
  /** Requests whose client hung up before any answer. */
  abandoned: number;
  stop(): Promise<void>;
}

/** An HTTP endpoint on 127.0.0.1 that reads every request and never answers it. */
async function startSilentServer(): Promise<SilentServer> {
  const server: Server = createServer((req, res) => {
    state.received++;
    req.resume();
    res.on("close", () => {
      if (!res.writableEnded) state.abandoned++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const state: SilentServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: 0,
    abandoned: 0,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
