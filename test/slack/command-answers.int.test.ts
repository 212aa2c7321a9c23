import { afterEach, describe, expect, it } from "vitest";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import {
  blocksText,
  INCIDENT,
  type SlackHarness,
  startSlackHarness,
  waitForBlocksText,
} from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * What `/dr` answers a person who types something incomplete or in the way of another run, through
 * the emulator and the real @slack/bolt: the refusal says what is missing or who holds the scope,
 * and nothing is requested.
 */
let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "activate", steps: [effect("scale-up")] }],
});
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  approvals: { required: 1 },
  phases: [{ name: "drill", steps: [effect("drill-scale")] }],
});

/** Types `/dr TEXT` as `user` and returns the ephemeral answer as they read it (joiners are invisible). */
async function answer(user: string, text: string, channel = INCIDENT): Promise<string> {
  const seen = h!.ephemeralCount(user);
  const ack = await h!.dr(user, text, channel);
  expect(ack.status).toBe(200);
  return (await h!.lastEphemeral(user, seen)).replace(/\u200d/g, "");
}

describe("/dr help", () => {
  it("answers help for a mistyped command with the closest one, not the whole help", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    expect(await answer("U0STRANGER", "help falover")).toBe(
      '*That input is not valid*: unknown command `falover`, did you mean `failover`? usage: /dr failover [tier|app…] [--reason "…"] [--backup NAME] [--with-shared] [--dry-run]',
    );
    expect(await answer("U0STRANGER", "help drill")).toMatch(/^`\/dr drill \[tier\|app…\]/);
  });
});

describe("/dr requests that name no scope", () => {
  it("asks which applications or tier a failover is for, with no double space and nothing requested", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    expect(await answer("U0ONCALL", "failover")).toBe(
      '*That input is not valid*: which applications or tier? /dr failover payments --reason "…" (or /dr failover all --reason "…" for every application)',
    );
    expect(await answer("U0ONCALL", "failover payments")).toBe(
      '*That input is not valid*: say why: /dr failover payments --reason "…"',
    );
    expect(await h.store.listRuns()).toEqual([]);
  });

  it("refuses a drill without a scope, and drills every application only when asked for with all", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    expect(await answer("U0ONCALL", "drill")).toBe(
      "*That input is not valid*: which applications or tier? /dr drill payments (or /dr drill all for every application)",
    );
    expect(await h.store.listRuns()).toEqual([]);
    expect(await answer("U0ONCALL", "drill all payments")).toContain(
      "`all` already names every application: give it alone",
    );
    expect(await answer("U0ONCALL", "drill all")).toMatch(/^Requested `drill-/);
    const [run] = await h.store.listRuns();
    expect(run!.scope.applications).toEqual(["payments", "core-api", "analytics"]);
  });
});

describe("/dr requests for a scope another run holds", () => {
  it("names the applications and the run holding them, linked to its card, for another scope of the same person", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    expect(await answer("U0ONCALL", "drill payments")).toMatch(/^Requested `drill-/);
    const [held] = await h.store.listRuns();
    const card = await h.findMessage("DR drill requested");
    const second = await answer("U0ONCALL", "drill tier1");
    expect(second).not.toContain("You already requested this");
    expect(second).toBe(
      `*Another run holds this scope*: payments is in <https://drbot-emulator.slack.com/archives/${INCIDENT}/p${card.ts.replace(".", "")}|${held!.id}> (DR drill of payments, requested by you, pending approval). One run at a time per application: wait for it to end, or stop it with \`/dr abort ${held!.id}\`.`,
    );
    expect(await h.store.listRuns()).toHaveLength(1);
  });

  it("names the person who holds it, and says 'already requested' only for the same request made again", async () => {
    const config = testConfig();
    config.slack.permissions.failover!.requesters.users.push("U0ONCALL2");
    h = await startSlackHarness({
      runbooks: [failover, drill],
      config,
      extraUsers: [{ id: "U0ONCALL2", name: "oncall2" }],
    });
    await answer("U0ONCALL", 'failover tier1 --reason "DC1 down"');
    const [held] = await h.store.listRuns();
    expect(await answer("U0ONCALL2", 'failover payments --reason "DC1 down"')).toMatch(
      new RegExp(
        `^\\*Another run holds this scope\\*: payments is in <https://drbot-emulator\\.slack\\.com/archives/${INCIDENT}/p\\d+\\|${held!.id}> \\(failover of payments, core-api, requested by <@U0ONCALL>, pending approval\\)`,
      ),
    );
    expect(await answer("U0ONCALL", 'failover payments core-api --reason "again"')).toMatch(
      new RegExp(`^You already requested this: <https://[^|]+\\|${held!.id}> is pending approval\\.$`),
    );
    expect(await answer("U0ONCALL", "drill core-api")).toContain(
      `core-api is in <https://drbot-emulator.slack.com/archives/${INCIDENT}/`,
    );
  });
});

describe("the Approve button", () => {
  it("never invites the requester: no confirm dialog on the card, and their click is explained with nothing recorded", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    await answer("U0ONCALL", 'failover payments --reason "DC1 down"');
    const card = await h.findMessage("Failover requested");
    const [run] = await h.store.listRuns();
    const approve = (
      card.blocks as { type: string; elements?: { action_id?: string; confirm?: unknown }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === "dr:approve");
    expect(approve).toBeDefined();
    expect(approve!.confirm).toBeUndefined();
    expect(blocksText(card)).toContain(
      `Approving approves plan \`${run!.plan.hash.slice(0, 12)}\` as shown: 2 approval(s) still needed, from approvers other than <@U0ONCALL>.`,
    );

    const seen = h.ephemeralCount("U0ONCALL");
    await h.click("U0ONCALL", INCIDENT, card.ts, "dr:approve");
    expect((await h.lastEphemeral("U0ONCALL", seen)).replace(/\u200d/g, "")).toBe(
      "*You cannot approve your own request*: you requested this run, and the two-person rule needs its approvals from others: an approver of failover runs approves it, and you may withdraw it by rejecting it; nothing was recorded but this refusal",
    );
    expect((await h.store.getRun(run!.id))!.approvals).toEqual([]);
    const audit = (await h.store.readEvents(run!.id)).filter((e) => e.type === "run.refusal");
    expect(audit.map((e) => [e.actor, e.data.code])).toEqual([["U0ONCALL", "self_approval"]]);

    // An approver's click approves the plan on the card at once, the rule enforced on the server.
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitForBlocksText(h, card, "1/2");
    expect((await h.store.getRun(run!.id))!.approvals.map((a) => a.userId)).toEqual(["U0A1"]);
  });
});

describe("Reject", () => {
  it("asks why in a modal, ends the request, and tells the requester in the card's thread with the reason", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    await answer("U0ONCALL", 'failover payments --reason "DC1 down"');
    const card = await h.findMessage("Failover requested");
    const [run] = await h.store.listRuns();
    await h.click("U0A1", INCIDENT, card.ts, "dr:reject");
    await waitFor(() => h!.emulator.views.modal("U0A1") !== undefined, { description: "the reject modal" });
    expect(h.emulator.views.modal("U0A1")).toMatchObject({
      view: { callback_id: "dr:reject-reason", title: { text: "Reject the request" } },
    });
    // Opening the modal decides nothing.
    expect((await h.store.getRun(run!.id))!.state).toBe("pending_approval");

    const submitted = await h.emulator.submitView({
      userId: "U0A1",
      values: { reason: "  wrong scope: payments only, core-api stays  " },
    });
    expect(submitted.viewOutcome).toBe("closed");
    await waitForBlocksText(h, card, "rejected");
    const rejected = (await h.store.getRun(run!.id))!;
    expect(rejected.state).toBe("rejected");
    expect(rejected.decisions.at(-1)).toMatchObject({
      userId: "U0A1",
      decision: "rejected",
      note: "wrong scope: payments only, core-api stays",
    });
    await waitFor(() => h!.emulator.thread(INCIDENT, card.ts).length > 0, {
      description: "the thread reply",
    });
    expect(h.emulator.thread(INCIDENT, card.ts).map((m) => m.text)).toContain(
      `<@U0ONCALL>: your failover request \`${run!.id}\` was rejected by <@U0A1>: wrong scope: payments only, core-api stays.`,
    );
    // The scope is free again.
    expect(await answer("U0ONCALL", 'failover payments --reason "again"')).toMatch(/^Requested `failover-/);
  });

  it("refuses a stranger on the click, before asking why, and takes no reason too", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });
    await answer("U0ONCALL", 'failover payments --reason "DC1 down"');
    const card = await h.findMessage("Failover requested");
    const [run] = await h.store.listRuns();

    const seen = h.ephemeralCount("U0STRANGER");
    await h.click("U0STRANGER", INCIDENT, card.ts, "dr:reject");
    expect(await h.lastEphemeral("U0STRANGER", seen)).toMatch(/^\*You are not an approver/);
    expect(h.emulator.views.modal("U0STRANGER")).toBeUndefined();
    expect((await h.store.getRun(run!.id))!.state).toBe("pending_approval");

    await h.click("U0A1", INCIDENT, card.ts, "dr:reject");
    await waitFor(() => h!.emulator.views.modal("U0A1") !== undefined, { description: "the modal" });
    await h.emulator.submitView({ userId: "U0A1", values: {} });
    await waitFor(() => h!.emulator.thread(INCIDENT, card.ts).length > 0, {
      description: "the thread reply",
    });
    expect(h.emulator.thread(INCIDENT, card.ts).at(-1)!.text).toBe(
      `<@U0ONCALL>: your failover request \`${run!.id}\` was rejected by <@U0A1> (no reason given).`,
    );
  });
});
