import { afterEach, describe, expect, it } from "vitest";
import type { StoredMessage } from "../../src/emulator/slack-emulator.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import {
  blocksText,
  INCIDENT,
  latestMessage,
  RANDOM,
  type SlackHarness,
  startSlackHarness,
  startSlackHarnessWithFlakyScaleUp,
  waitForBlocksText,
} from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Whole conversations through the emulator and the real @slack/bolt: people type `/dr`, click
 * buttons, and the channel timeline shows what happened.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [
    {
      name: "activate",
      steps: [
        effect("scale-up"),
        {
          id: "confirm",
          title: "Confirm DR traffic",
          kind: "checklist",
          with: { items: ["Load balancer shows DC2", "Error rate normal"] },
        },
        effect("switch-dns"),
      ],
    },
    { name: "validate", rtoPhase: "validation", steps: [effect("smoke-test")] },
  ],
});
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  approvals: { required: 1 },
  phases: [{ name: "drill", steps: [effect("drill-scale"), effect("drill-check")] }],
});
const failback = testRunbook({
  name: "failback",
  kind: "failback",
  phases: [{ name: "back", steps: [effect("back")] }],
});

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const invalidBlocks = (h: SlackHarness) =>
  h.emulator.events("api_call").filter((call) => call.error === "invalid_blocks");

async function requestFailover(
  h: SlackHarness,
  reason = "DC1 unreachable",
): Promise<{ card: StoredMessage; runId: string }> {
  const ack = await h.dr("U0ONCALL", `failover payments --reason "${reason}"`);
  expect(ack.status).toBe(200);
  expect(ack.timedOut).toBe(false);
  const card = await h.findMessage("Failover requested");
  const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
  // The requester's confirmation comes after the card; later ephemerals are counted from here.
  await h.emulator.waitForEphemeral("U0ONCALL", `Requested \`${runId}\``, { timeoutMs: 10_000 });
  return { card, runId };
}

describe.each(["http", "socket"] as const)("Slack in %s mode", (mode) => {
  it("runs a failover: card, self-approval refused, two approvals, progress, checklist, summary", async () => {
    h = await startSlackHarness({ mode, runbooks: [failover, drill, failback] });
    const { card, runId } = await requestFailover(h, "DC1 down <!channel> *now*");
    expect(await h.lastEphemeral("U0ONCALL")).toContain(`Requested \`${runId}\``);
    expect(blocksText(card)).toContain("0/2");
    expect(blocksText(card)).not.toContain("<!channel>");
    expect(h.emulator.messages(INCIDENT).filter((m) => m.text.startsWith("Failover requested"))).toHaveLength(
      1,
    );

    const seen = h.ephemeralCount("U0ONCALL");
    await h.click("U0ONCALL", INCIDENT, card.ts, "dr:approve");
    expect(await h.lastEphemeral("U0ONCALL", seen)).toContain("You cannot approve your own request");

    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitForBlocksText(h, card, "1/2");
    // An approver through a Slack user group, resolved by usergroups.users.list.
    await h.click("U0GROUPIE", INCIDENT, card.ts, "dr:approve");
    await waitForBlocksText(h, card, "Approved");

    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "dr:tick");
    await h.click("U0A1", INCIDENT, progress.ts, "dr:tick", "|confirm|0");
    await waitForBlocksText(h, progress, "Load balancer shows DC2: <@U0A1>");
    await h.click("U0A2", INCIDENT, progress.ts, "dr:tick", "|confirm|1");
    await waitForBlocksText(h, progress, "Summary");
    expect(blocksText(latestMessage(h, progress))).toContain("completed");
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns", "smoke-test"]);

    await h.surface.notifier.idle();
    const replies = h.emulator.thread(INCIDENT, progress.ts).map((m) => m.text);
    expect(replies.some((t) => t.startsWith("Confirm DR traffic: succeeded"))).toBe(true);
    expect(replies.filter((t) => t.includes("succeeded"))).toHaveLength(4);
    expect(invalidBlocks(h)).toEqual([]);
    expect(h.emulator.events("interaction_delivered").every((d) => d.outcome === "acked")).toBe(true);
    const attestations = (await h.store.getSteps(runId)).get("confirm")!.attestations!;
    expect(attestations.map((a) => a.userId)).toEqual(["U0A1", "U0A2"]);
  });
});

describe("Slack conversations", () => {
  it("answers help and status at once, and an unknown subcommand with the closest one", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const status = await h.dr("U0STRANGER", "status", RANDOM);
    expect(status.status).toBe(200);
    await waitFor(() => h!.emulator.ephemerals("U0STRANGER").some((e) => e.text.includes("RPO per tier")), {
      description: "the status",
    });
    // Quick sites: the answer is the only message, no placeholder beside it.
    expect(h.emulator.ephemerals("U0STRANGER")).toHaveLength(1);
    await h.dr("U0STRANGER", "stauts the cluster", RANDOM);
    await waitFor(() => h!.emulator.ephemerals("U0STRANGER").length >= 2, { description: "the refusal" });
    expect(
      h.emulator
        .ephemerals("U0STRANGER")
        .at(-1)!
        .text.replace(/\u200d/g, ""),
    ).toBe(
      "*That input is not valid*: unknown command `stauts`, did you mean `status`? usage: /dr status [tier|app]",
    );
  });

  it("refuses a failover outside the incident channel, from a non-requester, and without a reason", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    await h.dr("U0ONCALL", 'failover payments --reason "x"', RANDOM);
    expect(await h.lastEphemeral("U0ONCALL")).toContain("in <#C0INCIDENT>");
    await h.dr("U0STRANGER", 'failover payments --reason "x"');
    expect(await h.lastEphemeral("U0STRANGER")).toContain("You are not allowed");
    await h.dr("U0ONCALL", "failover payments");
    await waitFor(() => h!.emulator.ephemerals("U0ONCALL").length >= 2, { description: "second refusal" });
    expect(h.emulator.ephemerals("U0ONCALL").at(-1)!.text).toContain("say why");
    expect(await h.store.listRuns()).toEqual([]);
    expect(h.emulator.messages(INCIDENT)).toEqual([]);
  });

  it("parses malformed, huge and hostile input safely", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    for (const text of [
      'failover payments --reason "unclosed',
      `failover payments --reason "${"x".repeat(10_000)}"`,
      "failover payments --bogus",
      "failover $(id) --reason x",
      "failover payments; rm -rf / --reason x",
    ]) {
      const before = h.emulator.ephemerals("U0ONCALL").length;
      const ack = await h.dr("U0ONCALL", text);
      expect(ack.status).toBe(200);
      await waitFor(() => h!.emulator.ephemerals("U0ONCALL").length > before, {
        description: `a refusal for ${text.slice(0, 30)}`,
      });
    }
    expect(await h.store.listRuns()).toEqual([]);
    const audit = await h.service.auditTrail();
    expect(audit.length).toBeGreaterThanOrEqual(5);
  });

  it("rejects forged signatures, stale timestamps and replays (401) and records nothing", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const forgeries = [
      { signingSecret: "wrong-secret" },
      { timestampOffsetSec: -6 * 60 },
      { signature: "v0=00" },
      { omitHeaders: true },
    ];
    for (const forgery of forgeries) {
      const answer = await h.emulator.sendSlashCommand({
        userId: "U0ONCALL",
        channelId: INCIDENT,
        text: 'failover payments --reason "x"',
        forgery,
      });
      expect(answer.status, JSON.stringify(forgery)).toBe(401);
    }
    expect(await h.store.listRuns()).toEqual([]);
  });

  it("answers Slack's unsigned ssl_check and passes nothing that rides along with it to a listener", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const post = (fields: Array<[string, string]>) =>
      fetch(h!.emulator.options.requestUrl!, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    const command: Array<[string, string]> = [
      ["command", "/dr"],
      ["text", 'failover payments --reason "x"'],
      ["user_id", "U0ONCALL"],
      ["channel_id", INCIDENT],
      ["response_url", h.emulator.options.requestUrl!],
    ];
    const sslCheck: Array<[string, string]> = [["ssl_check", "1"]];
    expect((await post([...sslCheck, ["token", "x"]])).status).toBe(200);
    expect((await post([...sslCheck, ...command])).status).toBe(200);
    expect((await post([...sslCheck, ["ssl_check", "2"], ...command])).status).toBe(401);
    expect((await post(command)).status).toBe(401);
    expect(await h.store.listRuns()).toEqual([]);
    expect(await h.service.auditTrail()).toEqual([]);
  });

  it("rejects a request: the card says so and the scope is free again", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const { card, runId } = await requestFailover(h);
    await h.click("U0STRANGER", INCIDENT, card.ts, "dr:reject");
    expect(await h.lastEphemeral("U0STRANGER")).toContain("not an approver");
    await h.click("U0A2", INCIDENT, card.ts, "dr:reject");
    // Reject asks why in a modal; submitting it rejects.
    await waitFor(() => h!.emulator.views.modal("U0A2") !== undefined, { description: "the reject modal" });
    await h.emulator.submitView({ userId: "U0A2", values: { reason: "wrong scope" } });
    await waitForBlocksText(h, card, "rejected");
    expect(blocksText(latestMessage(h, card))).not.toContain("dr:approve");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve").catch(() => undefined);
    expect((await h.store.getRun(runId))!.state).toBe("rejected");
  });

  it("tells a late clicker that the request expired, and changes nothing", async () => {
    h = await startSlackHarness({
      runbooks: [testRunbook({ ...failover, name: "failover", approvals: { required: 2, expiry: "1ms" } })],
    });
    const ack = await h.dr("U0ONCALL", 'failover payments --reason "x"');
    expect(ack.status).toBe(200);
    const card = await h.findMessage("Failover requested");
    const value = /"value":"([^"]+)"/.exec(JSON.stringify(card.blocks))?.[1];
    // The card may already show no buttons (expired on render); click with the card's value regardless.
    const runId = (await h.store.listRuns())[0]!.id;
    await h.emulator.sendBlockAction({
      userId: "U0A1",
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value: value ?? `${runId}|x`,
    });
    expect(await h.lastEphemeral("U0A1")).toMatch(/expired|plan changed/i);
    expect((await h.store.getRun(runId))!.approvals).toEqual([]);
  });

  it("shows Resume on a paused run; an approver resumes it and it finishes", async () => {
    h = await startSlackHarnessWithFlakyScaleUp();
    const { card, runId } = await requestFailover(h);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "dr:resume");
    expect(blocksText(latestMessage(h, progress))).toContain("DC2 API refused");
    const seen = h.ephemeralCount("U0ONCALL");
    await h.click("U0ONCALL", INCIDENT, progress.ts, "dr:resume");
    expect(await h.lastEphemeral("U0ONCALL", seen)).toContain(
      "someone else (an approver of failover runs) must resume it",
    );
    await h.click("U0A1", INCIDENT, progress.ts, "dr:resume");
    await waitForBlocksText(h, progress, "Summary");
    expect(h.ledger.entries).toEqual(["scale-up", "after"]);
  });

  it("aborts a running run from its Abort button", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [{ name: "a", steps: [effect("slow", {}, { holdMs: 60_000 }), effect("never")] }],
        }),
      ],
    });
    const { card, runId } = await requestFailover(h);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "dr:abort");
    await h.click("U0A1", INCIDENT, progress.ts, "dr:abort");
    await waitForBlocksText(h, progress, "aborted");
    expect((await h.store.getRun(runId))!.state).toBe("aborted");
    expect(h.ledger.entries).toEqual([]);
  });

  it("runs a drill with one approval", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    await h.dr("U0ONCALL", 'drill payments --window "Sat 10:00-12:00"');
    const card = await h.findMessage("DR drill requested");
    expect(blocksText(card)).toContain("0/1");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage("DR drill drill-");
    await waitForBlocksText(h, progress, "Summary");
    expect(h.ledger.entries).toEqual(["drill-scale", "drill-check"]);
  });

  it("never creates a second request for a double submission", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    await h.emulator.sendSlashCommand({
      userId: "U0ONCALL",
      channelId: INCIDENT,
      text: 'failover payments --reason "x"',
    });
    const modal = await h.emulator.waitForModal("U0ONCALL", (m) => m.view.submit !== undefined);
    const submitted = await h.emulator.submitView({
      userId: "U0ONCALL",
      viewId: modal.id,
      values: { typed: "payments" },
    });
    // Slack sends the same submission again (a retry): it is the same request.
    await h.emulator.redeliver(submitted);
    await waitFor(() => h!.emulator.ephemerals("U0ONCALL").some((e) => e.text.startsWith("Requested")), {
      description: "the requester told",
    });
    // Typed and confirmed again while the first is pending: the person is told it is theirs.
    await h.dr("U0ONCALL", 'failover payments --reason "x"');
    await waitFor(() => h!.emulator.ephemerals("U0ONCALL").length >= 2, { description: "two answers" });
    expect(await h.store.listRuns()).toHaveLength(1);
    expect(
      h.emulator
        .ephemerals("U0ONCALL")
        .map((e) => e.text)
        .join("\n"),
    ).toContain("You already requested this");
  });
});

describe("Slack limits", () => {
  it("lands the final state of a fast 30-step run while chat.update is rate limited", async () => {
    const steps = Array.from({ length: 30 }, (_, i) => effect(`s${i}`, {}, { holdMs: 100 }));
    h = await startSlackHarness({
      runbooks: [testRunbook({ name: "failover", phases: [{ name: "fast", steps }] })],
    });
    const { card, runId } = await requestFailover(h);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    // From the last approval on, the next three edits are refused with 429 and Retry-After: 1.
    h.emulator.rateLimit("chat.update", { nextCalls: 3, retryAfterSec: 1 });
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "Summary");
    await h.surface.notifier.idle();
    expect(h.emulator.callCount("chat.update"), `chat.update calls`).toBeGreaterThan(1);
    expect(h.emulator.events("api_call").filter((call) => call.status === 429)).toHaveLength(3);
    const final = latestMessage(h, progress);
    expect(blocksText(final)).toContain("30/30 done");
    expect(h.emulator.thread(INCIDENT, progress.ts)).toHaveLength(30);
    expect(h.surface.notifier.problems()).toEqual([]);
  });

  it("renders a 200-step runbook without invalid_blocks", async () => {
    const steps = Array.from({ length: 200 }, (_, i) => effect(`step-${i}`));
    h = await startSlackHarness({
      runbooks: [testRunbook({ name: "failover", phases: [{ name: "big", steps }] })],
    });
    const { card, runId } = await requestFailover(h);
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForBlocksText(h, progress, "Summary");
    await h.surface.notifier.idle();
    expect(invalidBlocks(h)).toEqual([]);
    expect(blocksText(latestMessage(h, progress))).toContain("200/200 done");
  }, 120_000);
});
