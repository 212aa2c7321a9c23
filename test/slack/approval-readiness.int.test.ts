import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { renderReportMarkdown } from "../../src/app/report/render-report-markdown.js";
import { buildRunReport } from "../../src/domain/run-report.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { FixedReadiness, readinessRound } from "../support/readiness-fixture.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import {
  blocksText,
  INCIDENT,
  latestMessage,
  type SlackHarness,
  startSlackHarness,
  waitForBlocksText,
} from "../support/slack-harness.js";

/**
 * A failover of a scope that is not ready, through the emulator and the real @slack/bolt, with runs
 * in a real Redis and the engine checking every run's proofs before it executes (as in production):
 * the card lists the finding above the buttons, a plain Approve is refused and changes nothing, and
 * approvals that accept the not-ready readiness run the failover. The kept round is a fixture.
 */
let redis: RedisServer;
let store: RedisRunStore | undefined;
let h: SlackHarness | undefined;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await h?.stop();
  await store?.close();
  h = undefined;
  store = undefined;
});

const failover = testRunbook({
  name: "failover",
  phases: [{ name: "activate", steps: [effect("scale-up"), effect("switch-dns")] }],
});
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  phases: [{ name: "activate", steps: [effect("drill-scale-up")] }],
});

async function start(readiness: FixedReadiness): Promise<SlackHarness> {
  store = await openTestRedisStore(redis.url, `approval-readiness-${process.pid}-${++prefixes}:`);
  h = await startSlackHarness({ runbooks: [failover, drill], store, readiness, checkEvidence: true });
  return h;
}

const finding = "payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2";

describe("approving a failover whose scope is not ready", () => {
  it("lists the finding on the card, refuses a plain Approve, and runs once approvers accept it", async () => {
    const readiness = new FixedReadiness(readinessRound(Date.now() - 60_000));
    const h = await start(readiness);
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    const card = await h.findMessage("Failover requested");
    const shown = blocksText(card);
    expect(shown).toContain(
      "*The DR site is not ready to serve this scope.* Each approver must accept that explicitly.",
    );
    expect(shown).toContain(`• :red_circle: ${finding}`);
    expect(shown).toContain("Approve, accepting not ready");
    const runId = (await h.store.listRuns())[0]!.id;
    const hash = (await h.store.getRun(runId))!.plan.hash;

    // A plain Approve (an old card, a hand-made click) is refused with what to do, and changes nothing.
    const seen = h.ephemeralCount("U0A1");
    await h.emulator.sendBlockAction({
      userId: "U0A1",
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value: `${runId}|${hash}`,
    });
    expect(await h.lastEphemeral("U0A1", seen)).toBe(
      `*The DR readiness of this scope is not ready: accept it explicitly*: the DR site is not ready to serve this scope (${finding}), and an approval must accept that explicitly; approve with the card's “Approve, accepting not ready” button, which accepts it`,
    );
    expect((await h.store.getRun(runId))!.approvals).toEqual([]);
    const refusals = (await h.store.readEvents(runId)).filter((e) => e.type === "run.refusal");
    expect(refusals.map((e) => [e.actor, e.data.code])).toEqual([["U0A1", "not_ready_not_accepted"]]);

    await h.click("U0A1", INCIDENT, card.ts, "dr:approve", "|accept-not-ready-");
    await waitForBlocksText(h, card, "1/2");
    expect(blocksText(latestMessage(h, card))).toMatch(/• <@U0A1> at <!date\^[^>]+> \(accepted not ready\)/);
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve", "|accept-not-ready-");
    await waitForBlocksText(h, card, "*Approved* by");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "Summary");
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
    const run = (await h.store.getRun(runId))!;
    expect(run.state).toBe("completed");
    expect(run.approvals.map((a) => [a.userId, a.acceptedNotReady])).toEqual([
      ["U0A1", true],
      ["U0A2", true],
    ]);
    const events = await h.store.readEvents(runId);
    const approvals = events.filter((e) => e.type === "run.approval");
    expect(approvals.map((e) => e.data.acceptedNotReady)).toEqual([true, true]);

    // The report and its timeline say who accepted it.
    const report = buildRunReport({ run, steps: await h.store.getSteps(runId), events, now: Date.now() });
    expect(report.approvals.received.map((a) => [a.userId, a.accepted])).toEqual([
      ["U0A1", ["not ready"]],
      ["U0A2", ["not ready"]],
    ]);
    expect(report.timeline.filter((t) => t.type === "run.approval").map((t) => t.text)).toEqual([
      "approval recorded (1/2), accepting that the scope is not ready, run pending approval",
      "approval recorded (2/2), accepting that the scope is not ready, run approved",
    ]);
    const markdown = renderReportMarkdown(report);
    expect(markdown).toContain("accepted explicitly, with the approval: not ready.");
  });

  it("voids the approvals when the scope turned not ready after the request, and asks again", async () => {
    const readiness = new FixedReadiness(readinessRound(Date.now() - 60_000, { payments: [] }));
    const h = await start(readiness);
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    const card = await h.findMessage("Failover requested");
    expect(blocksText(card)).toContain("*DR readiness*: :large_green_circle: ready");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitForBlocksText(h, card, "1/2");
    readiness.keep(readinessRound(Date.now()));
    const seen = h.ephemeralCount("U0A2");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    expect(await h.lastEphemeral("U0A2", seen)).toContain(
      "Every approval was voided: the readiness changed: the scope is now not ready",
    );
    await waitForBlocksText(h, card, "Approve, accepting not ready");
    const run = (await h.store.listRuns())[0]!;
    expect(run.state).toBe("pending_approval");
    expect(run.approvals).toEqual([]);
    expect(h.ledger.entries).toEqual([]);
  });

  it("shows a drill the findings and asks no acceptance", async () => {
    const h = await start(new FixedReadiness(readinessRound(Date.now() - 60_000)));
    await h.dr("U0ONCALL", 'drill payments --reason "quarterly"');
    const card = await h.findMessage("DR drill requested");
    const shown = blocksText(card);
    expect(shown).toContain(`• :red_circle: ${finding}`);
    expect(shown).toContain("; a drill needs no acceptance)");
    expect(shown).not.toContain("Approve, accepting");
  });
});
