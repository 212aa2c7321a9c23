import { afterEach, describe, expect, it } from "vitest";
import type { RpoReading } from "../../src/domain/rpo.js";
import type { SiteHealth } from "../../src/domain/site-health.js";
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
 * Every `/dr` subcommand and run control through the emulator and the real @slack/bolt: what the
 * person typing sees, what the channel shows, and what the store recorded.
 */
let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const at = Date.parse("2025-01-10T03:00:00Z");
const latest = (m: StoredMessage) => latestMessage(h!, m);
const waitForText = (m: StoredMessage, needle: string) => waitForBlocksText(h!, m, needle);

/** Types `/dr TEXT` as `user` and returns what they see next: the ephemeral answer. */
async function answer(user: string, text: string, channel = INCIDENT): Promise<string> {
  const seen = h!.ephemeralCount(user);
  const ack = await h!.dr(user, text, channel);
  expect(ack.status).toBe(200);
  expect(ack.timedOut).toBe(false);
  return h!.lastEphemeral(user, seen);
}

/** Clicks as `user` and returns the ephemeral the click earned. */
async function clickAnswer(
  user: string,
  m: StoredMessage,
  actionId: string,
  value?: string,
): Promise<string> {
  const seen = h!.ephemeralCount(user);
  await h!.click(user, m.channel, m.ts, actionId, value);
  return h!.lastEphemeral(user, seen);
}

async function requestFailover(
  text = 'failover payments --reason "DC1 unreachable"',
): Promise<{ card: StoredMessage; runId: string }> {
  const ack = await h!.dr("U0ONCALL", text);
  expect(ack.status).toBe(200);
  const card = await h!.findMessage("Failover requested");
  const runId = /"value":"(failover-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
  await h!.emulator.waitForEphemeral("U0ONCALL", `Requested \`${runId}\``, { timeoutMs: 10_000 });
  return { card, runId };
}

/** Two approvals on the card; returns the live progress message. */
async function approve(card: StoredMessage, runId: string, button = "dr:approve"): Promise<StoredMessage> {
  await h!.click("U0A1", INCIDENT, card.ts, button);
  await waitForText(card, "1/2");
  await h!.click("U0A2", INCIDENT, card.ts, button);
  await waitForText(card, "*Approved* by");
  return h!.findMessage(`Failover ${runId}`);
}

const healthy = (site: string): SiteHealth => ({
  site,
  reachable: true,
  ready: true,
  nodes: [],
  readyNodes: 0,
  latencyMs: 3,
  version: "v1.31.0",
});

const twoSteps = testRunbook({
  name: "failover",
  phases: [{ name: "activate", steps: [effect("scale-up"), effect("switch-dns")] }],
});

describe("/dr status", () => {
  it("answers with one ephemeral that says why and where each unknown source is unknown", async () => {
    const readings: RpoReading[] = [
      {
        source: "pg",
        kind: "postgres",
        exposureMs: undefined,
        at,
        detail: "lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
      },
      {
        source: "velero",
        kind: "velero",
        exposureMs: undefined,
        at,
        detail: "Velero is not installed on dc1",
      },
    ];
    h = await startSlackHarness({
      runbooks: [twoSteps],
      readRpo: async () => readings,
      siteHealth: async (site) => healthy(site),
    });
    const text = await answer("U0STRANGER", "status", RANDOM);
    expect(text).toContain(
      "• :warning: tier1: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)",
    );
    expect(text).toContain(
      "◦ ❔ pg (data): unknown: lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
    );
    expect(text).toContain("◦ ❔ velero (configuration): unknown: Velero is not installed on dc1");
    // Quick sites: the answer is the only message the person gets, no placeholder left beside it.
    expect(h.emulator.ephemerals("U0STRANGER").map((e) => e.text)).toEqual([text]);
  });

  it("sends a placeholder only when the sites are slow, then the answer naming the deadline they missed", async () => {
    h = await startSlackHarness({
      runbooks: [twoSteps],
      // DC1 accepts and never answers; neither do the data sources.
      siteHealth: (site) =>
        site === "dc1" ? new Promise<SiteHealth>(() => {}) : Promise.resolve(healthy(site)),
      readRpo: () => new Promise<RpoReading[]>(() => {}),
    });
    const ack = await h.dr("U0ONCALL", "status", RANDOM);
    expect(ack.timedOut).toBe(false);
    const final = await h.emulator.waitForEphemeral("U0ONCALL", "RPO per tier", { timeoutMs: 10_000 });
    const shown = h.emulator.ephemerals("U0ONCALL");
    expect(shown).toHaveLength(2);
    expect(shown[0]!.text).toContain("Checking both sites… one is slow to answer");
    expect(shown[1]).toBe(final);
    expect(final.text).toContain("• *dc1* (primary): :red_circle: down: no answer within 2s");
    expect(final.text).toContain("• *dc2* (dr): :large_green_circle: healthy");
    expect(final.text).toContain("◦ ❔ pg (data): unknown: no answer within 2s");
    expect(final.text).toContain("◦ ❔ velero (configuration): unknown: no answer within 2s");
  });
});

describe("run commands in Slack", () => {
  it("lists runs with start, duration and outcome, and shows one run's approvals, steps and timeline, before and after it ran", async () => {
    h = await startSlackHarness({ runbooks: [twoSteps] });
    const { card, runId } = await requestFailover();
    const hash = (await h.store.getRun(runId))!.plan.hash;
    expect(await answer("U0STRANGER", "runs", RANDOM)).toMatch(
      new RegExp(
        `^\\*Recent runs\\* .*\n• \`${runId}\` Failover of payments · <!date\\^\\d+\\^[^>]+> by <@U0ONCALL> · going for [^·]+ · \\*pending approval\\*$`,
      ),
    );
    const pending = await answer("U0STRANGER", `show ${runId}`, RANDOM);
    expect(pending).toContain(`*Failover ${runId}*: *pending approval*`);
    expect(pending).toContain(`Plan \`${hash}\` · 2 steps\n`);
    expect(pending).toContain("*Approvals* 0/2\n• none yet");
    expect(pending).toContain("◻️ Effect scale-up · not started");
    expect(pending).toMatch(/• <!date\^\d+\^[^>]+> · <@U0ONCALL> · requested failover: DC1 unreachable/);
    const progress = await approve(card, runId);
    await waitForText(progress, "Summary");
    const done = await answer("U0STRANGER", `show ${runId}`, RANDOM);
    expect(done).toContain(`*Failover ${runId}*: *completed*`);
    expect(done).toMatch(/\*Approvals\* 2\/2\n• <@U0A1> at <!date[^>]+>\n• <@U0A2> at <!date[^>]+>/);
    expect(done).toMatch(/✅ Effect scale-up · succeeded \(\d+ms\)/);
    expect(done).toContain("· run running → completed");
    expect(await answer("U0STRANGER", "runs", RANDOM)).toMatch(/ · took [^·]+ · \*completed\*$/);
    expect(await answer("U0STRANGER", "show failover-0101-0000-ffffff", RANDOM)).toMatch(/^\*No such run\*/);
    expect(await answer("U0STRANGER", "show", RANDOM)).toBe(
      "*That input is not valid*: RUN is missing; usage: /dr show RUN",
    );
  });

  it("posts a notify step's notice in the run's thread and, broadcast, in the channel", async () => {
    const announcing = testRunbook({
      name: "failover",
      phases: [
        {
          name: "activate",
          steps: [
            effect("scale-up"),
            { id: "announce", title: "Announce", kind: "notify", with: { text: "DC2 is serving payments." } },
          ],
        },
      ],
    });
    h = await startSlackHarness({ runbooks: [announcing] });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    const notice = await h.findMessage("DC2 is serving payments.");
    expect(notice.text).toBe(":mega: DC2 is serving payments.");
    expect(notice.threadTs).toBe(progress.ts);
    await waitFor(async () => (await h!.store.getRun(runId))?.state === "completed", {
      timeoutMs: 10_000,
      description: "the run to complete",
    });
    expect((await h.store.getSteps(runId)).get("announce")?.output).toBe("DC2 is serving payments.");
  });

  it("aborts a running run from /dr abort with the note on record; a stranger may not", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [{ name: "a", steps: [effect("slow", {}, { holdMs: 60_000 }), effect("never")] }],
        }),
      ],
    });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "🔄 Effect slow");
    expect(await answer("U0STRANGER", `abort ${runId}`)).toBe(
      "*You are not allowed to do that*: you may not abort this run",
    );
    // The executor stops the step within its control poll, so the answer may already say so.
    expect(await answer("U0ONCALL", `abort ${runId} --note "wrong scope"`)).toMatch(
      new RegExp(`^Abort of \`${runId}\` requested; it is (running|aborted)\\.$`),
    );
    await waitForText(progress, "aborted");
    const run = (await h.store.getRun(runId))!;
    expect(run.state).toBe("aborted");
    expect(run.decisions.at(-1)).toMatchObject({
      userId: "U0ONCALL",
      decision: "aborted",
      note: "wrong scope",
    });
    expect(h.ledger.entries).toEqual([]);
  });

  it("aborts a pending request at once: the card says so and the scope is free again", async () => {
    h = await startSlackHarness({ runbooks: [twoSteps] });
    const { card, runId } = await requestFailover();
    expect(await answer("U0ONCALL", `abort ${runId}`)).toBe(
      `Abort of \`${runId}\` requested; it is aborted.`,
    );
    await waitForText(card, "*Withdrawn* before it was approved");
    expect(blocksText(latest(card))).toContain("Nothing was changed.");
    expect(blocksText(latest(card))).not.toContain("dr:approve");
    // Nothing ran: no progress message with an RTO, no report; the card alone says it.
    await h.surface.notifier.idle();
    expect(h.emulator.messages(INCIDENT).filter((m) => m.text.includes(runId))).toEqual([]);
    expect(await answer("U0ONCALL", 'failover payments --reason "second try"')).toMatch(
      /^Requested `failover-[a-z0-9-]+`: needs 2 approval\(s\) from someone other than you/,
    );
    expect((await h.store.listRuns()).map((r) => r.state).sort()).toEqual(["aborted", "pending_approval"]);
  });

  it("resumes a paused run from /dr resume: not the requester, an approver, and it finishes", async () => {
    h = await startSlackHarnessWithFlakyScaleUp();
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "dr:resume");
    expect(await answer("U0ONCALL", `resume ${runId}`)).toBe(
      "*You cannot approve your own request*: you requested this run; someone else (an approver of failover runs) must resume it",
    );
    expect(await answer("U0A1", `resume ${runId}`)).toBe(`\`${runId}\` resumed.`);
    await waitForText(progress, "Summary");
    expect(h.ledger.entries).toEqual(["scale-up", "after"]);
    expect((await h.store.getRun(runId))!.state).toBe("completed");
    expect(await answer("U0A1", `resume ${runId}`)).toBe(
      `*Not possible in the run's current state*: run ${runId} is completed; only a paused run can be resumed`,
    );
  });

  it("shows Resume and Abort on a paused step and how to skip it; /dr skip with a reason skips it and the run finishes", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [
            { name: "a", steps: [effect("prepare"), effect("broken", {}, { fail: true }), effect("after")] },
          ],
        }),
      ],
    });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "dr:resume");
    const paused = blocksText(latest(progress));
    expect(paused).toContain(":double_vertical_bar: *Paused*");
    expect(paused).toContain(`"action_id":"dr:resume","value":"${runId}"`);
    expect(paused).not.toContain(`"action_id":"dr:skip"`);
    expect(paused).toContain(`"action_id":"dr:abort","value":"${runId}"`);
    expect(paused).toContain(`/dr skip ${runId} broken --reason`);

    expect(await answer("U0A1", `skip ${runId}`)).toBe(
      '*That input is not valid*: STEP is missing; usage: /dr skip RUN STEP [--reason "…"]',
    );
    expect(await answer("U0A1", `skip ${runId} no-such-step --reason x`)).toBe(
      `*That input is not valid*: run ${runId} has no step "no-such-step"`,
    );
    expect(await answer("U0A1", `skip ${runId} broken`)).toBe(
      "*That input is not valid*: say why the step is skipped: a skip is a decision",
    );
    expect(await answer("U0ONCALL", `skip ${runId} broken --reason "mine"`)).toBe(
      "*You cannot approve your own request*: you requested this run; someone else (an approver of failover runs) must skip it",
    );
    expect(await answer("U0A1", `skip ${runId} broken --reason "checked DC2 by hand"`)).toMatch(
      new RegExp(`^Step skipped; \`${runId}\` is (running|completed)\\.$`),
    );
    await waitForText(progress, "Summary");
    const steps = await h.store.getSteps(runId);
    expect(steps.get("broken")).toMatchObject({
      status: "skipped",
      resolvedBy: "operator",
      skipped: { by: "U0A1", reason: "checked DC2 by hand" },
    });
    expect(steps.get("after")!.status).toBe("succeeded");
    expect(h.ledger.entries).toEqual(["prepare", "after"]);
    expect((await h.store.getRun(runId))!.state).toBe("completed");
    expect(blocksText(latest(progress))).toMatch(
      /⏭️ Effect broken [^\\]*skipped by <@U0A1>: checked DC2 by hand/,
    );
  });

  it("answers --dry-run with the plan anywhere, and creates nothing", async () => {
    h = await startSlackHarness({ runbooks: [twoSteps] });
    const text = await answer("U0ONCALL", "failover payments --dry-run", RANDOM);
    const hash = /plan `([0-9a-f]+)`/.exec(text)?.[1];
    expect(text).toBe(
      `*Dry run* of failover for payments (plan \`${hash}\`, nothing was requested)\nData at risk: :warning: tier1: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)\n• pg (data): unknown: no reading: nothing in this drbot reads this source\n1. Effect scale-up: effect scale-up\n2. Effect switch-dns: effect switch-dns`,
    );
    expect(await h.store.listRuns()).toEqual([]);
    expect(h.emulator.messages(INCIDENT)).toEqual([]);
    expect(h.emulator.messages(RANDOM)).toEqual([]);
    // Nothing holds the scope: a real request goes through, with the very plan the dry run showed.
    const { runId } = await requestFailover();
    expect((await h.store.getRun(runId))!.plan.hash).toBe(hash);
  });

  it("pins --backup NAME: the card shows the pinned backup and the plan's hash covers it", async () => {
    const backup = "velero-daily-20250108";
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [
            {
              name: "restore",
              steps: [
                {
                  id: "restore",
                  title: "Restore the data",
                  kind: "velero.restore",
                  with: { site: "dc2", schedule: "daily" },
                },
                effect("switch-dns"),
              ],
            },
          ],
        }),
      ],
    });
    const { card, runId } = await requestFailover(
      `failover payments --reason "ransomware: the newest backup is encrypted" --backup ${backup}`,
    );
    const run = (await h.store.getRun(runId))!;
    expect(run.plan.pins).toEqual({ backup });
    const unpinned = await h.service.plan({ runbook: "failover", targets: ["payments"] });
    const pinned = await h.service.plan({ runbook: "failover", targets: ["payments"], pins: { backup } });
    expect(run.plan.hash).toBe(pinned.hash);
    expect(run.plan.hash).not.toBe(unpinned.hash);
    const shown = blocksText(card);
    expect(shown).toContain(`Pinned: backup=${backup}`);
    expect(shown).toContain(`Velero restore on dc2 from backup ${backup}`);
    expect(shown).toContain(`\`${pinned.hash}\` · 2 steps`);
    expect(shown).toContain(`"value":"${runId}|${pinned.hash}"`);
    expect(await answer("U0ONCALL", 'failover payments --reason x --backup "daily; rm -rf /"')).toBe(
      "*That input is not valid*: --backup takes a backup name (lowercase letters, digits, '-', '.')",
    );
  });

  it("holds the run at an approval gate until two approvers other than the requester approve it", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [
            {
              name: "activate",
              steps: [
                effect("prepare"),
                {
                  id: "traffic-gate",
                  title: "Approve moving traffic",
                  kind: "approval",
                  with: { required: 2, prompt: "Move the traffic to DC2?" },
                },
                effect("switch-dns"),
              ],
            },
          ],
        }),
      ],
    });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "dr:gate");
    expect(blocksText(latest(progress))).toContain("Move the traffic to DC2?\\n0/2 approvals");
    expect(h.ledger.entries).toEqual(["prepare"]);

    expect(await clickAnswer("U0ONCALL", progress, "dr:gate")).toBe(
      "*You cannot approve your own request*: you requested this run; the gate needs someone else",
    );
    expect(await clickAnswer("U0STRANGER", progress, "dr:gate")).toBe(
      "*You are not an approver for this kind of run*: you are not an approver for failover runs",
    );
    await h.click("U0A1", INCIDENT, progress.ts, "dr:gate");
    await waitForText(progress, "1/2 approvals");
    expect(blocksText(latest(progress))).toContain("• <@U0A1> at <!date^");
    // The engine weighed the one approval and went on waiting.
    await waitFor(
      async () =>
        (await h!.store.getSteps(runId)).get("traffic-gate")?.output ===
          "Move the traffic to DC2?: 1/2 approvals" &&
        (await h!.store.getRun(runId))?.state === "waiting_manual",
      { description: "the gate to wait with one approval" },
    );
    expect(h.ledger.entries).toEqual(["prepare"]);
    // A double click by the same approver is one approval: the gate still needs someone else.
    await h.click("U0A1", INCIDENT, progress.ts, "dr:gate");
    await h.click("U0A2", INCIDENT, progress.ts, "dr:gate");
    await waitForText(progress, "Summary");
    expect(h.ledger.entries).toEqual(["prepare", "switch-dns"]);
    const gate = (await h.store.getSteps(runId)).get("traffic-gate")!;
    expect(gate).toMatchObject({ status: "succeeded", output: "approved by U0A1, U0A2" });
    expect(gate.attestations!.map((a) => a.userId)).toEqual(["U0A1", "U0A2"]);
  });
});

describe("the approval card", () => {
  it("shows who approved and when", async () => {
    h = await startSlackHarness({ runbooks: [twoSteps] });
    const { card, runId } = await requestFailover();
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitForText(card, "1/2");
    const first = (await h.store.getRun(runId))!.approvals[0]!;
    const stamp = (ms: number) =>
      `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
    expect(blocksText(latest(card))).toContain(`1/2\\n• <@U0A1> at ${stamp(first.at)}`);
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitForText(card, "*Approved* by");
    const [a1, a2] = (await h.store.getRun(runId))!.approvals;
    expect(blocksText(latest(card))).toContain(
      `*Approved* by <@U0A1> at ${stamp(a1!.at)}, <@U0A2> at ${stamp(a2!.at)}; the run is`,
    );
  });

  it("refuses a plain Approve when the RPO exposure is over target; accepting the data loss approves", async () => {
    const lagging: RpoReading = {
      source: "pg",
      kind: "postgres",
      exposureMs: 2 * 3_600_000,
      at,
      detail: "replication lag 2h",
    };
    h = await startSlackHarness({ runbooks: [twoSteps], readRpo: async () => [lagging] });
    const { card, runId } = await requestFailover();
    const risk = "2h of data (newest recovery point of pg), beyond the tier1 RPO of 15m";
    const shown = blocksText(card);
    expect(shown).toContain(`:rotating_light: *This failover loses data.* It would lose ${risk}.`);
    expect(shown).toContain("Approve, accepting data loss");
    const hash = (await h.store.getRun(runId))!.plan.hash;
    expect(shown).not.toContain(`"value":"${runId}|${hash}"`);

    // A plain Approve (a card from before the lag grew, or a hand-made click) is refused and explained.
    const seen = h.ephemeralCount("U0A1");
    await h.emulator.sendBlockAction({
      userId: "U0A1",
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value: `${runId}|${hash}`,
    });
    expect(await h.lastEphemeral("U0A1", seen)).toBe(
      `*This run loses more data than the RPO allows: accept it explicitly*: this failover would lose ${risk}, and an approval must accept that loss explicitly; approve with the card's “Approve, accepting data loss” button, which accepts it`,
    );
    expect((await h.store.getRun(runId))!.approvals).toEqual([]);

    await h.click("U0A1", INCIDENT, card.ts, "dr:approve", "|accept-");
    await waitForText(card, "1/2");
    expect(blocksText(latest(card))).toMatch(/• <@U0A1> at <!date\^[^>]+> \(accepted the data loss\)/);
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve", "|accept-");
    await waitForText(card, "*Approved* by");
    const run = (await h.store.getRun(runId))!;
    expect(run.approvals.map((a) => [a.userId, a.acceptedDataLoss])).toEqual([
      ["U0A1", true],
      ["U0A2", true],
    ]);
    const progress = await h.findMessage(`Failover ${runId}`);
    await waitForText(progress, "Summary");
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
  });
});

describe("live progress", () => {
  it("shows the time used against the tier's RTO with the time left, then a summary of phases, approvals and failures", async () => {
    h = await startSlackHarness({
      runbooks: [
        testRunbook({
          name: "failover",
          phases: [
            {
              name: "activate",
              steps: [
                effect("scale-up"),
                {
                  id: "confirm",
                  title: "Confirm",
                  kind: "checklist",
                  with: { items: ["DC2 serves traffic"] },
                },
                effect("flaky-check", { onFailure: "continue" }, { fail: true }),
              ],
            },
            { name: "validate", rtoPhase: "validation", steps: [effect("smoke-test")] },
          ],
        }),
      ],
    });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "dr:tick");
    // tier1's RTO is 2h: seconds used so far, and the rest of the two hours left.
    expect(blocksText(latest(progress))).toMatch(
      /\*Elapsed\*\\n(\d+ms|\d+(\.\d)?s) of RTO 2h · (1h 59m \d+s|2h) left/,
    );
    await h.click("U0A1", INCIDENT, progress.ts, "dr:tick", "|confirm|0");
    await waitForText(progress, "Summary");
    const [a1, a2] = (await h.store.getRun(runId))!.approvals;
    const summary = blocksText(latest(progress));
    expect(summary).toContain("*Summary*: completed with exceptions");
    expect(summary).toMatch(/of RTO 2h ✅ met/);
    // Nobody's alert started this run: detection is 0, and the summary says why.
    expect(summary).toContain("*Detection*\\n0 (a person started this run)");
    for (const phase of ["Decision", "Activation", "Validation"])
      expect(summary).toMatch(new RegExp(`\\*${phase}\\*\\\\n(\\d+ms|\\d+(\\.\\d)?s)`));
    expect(summary).toMatch(/\*RTO\*\\n\S+ against 2h ✅/);
    expect(summary).toContain(`*Approved by*\\n• <@U0A1> at <!date^${Math.floor(a1!.at / 1000)}^`);
    expect(summary).toContain(`• <@U0A2> at <!date^${Math.floor(a2!.at / 1000)}^`);
    expect(summary).toContain("Failed: flaky-check");
  });

  it("coalesces the edits of a fast 30-step run to about one a second, the last showing the final state", async () => {
    const steps = Array.from({ length: 30 }, (_, i) => effect(`s${i}`, {}, { holdMs: 100 }));
    h = await startSlackHarness({
      runbooks: [testRunbook({ name: "failover", phases: [{ name: "fast", steps }] })],
    });
    const { card, runId } = await requestFailover();
    const progress = await approve(card, runId);
    await waitForText(progress, "Summary");
    await h.surface.notifier.idle();
    const run = (await h.store.getRun(runId))!;
    const versions = h.emulator.versions(INCIDENT, progress.ts);
    const edits = versions.filter((v) => v.via === "chat.update");
    const seconds = Math.ceil((run.rto.validationEndedAt! - versions[0]!.at) / 1000);
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(edits.length, `${edits.length} edits in ${seconds} s`).toBeLessThanOrEqual(seconds + 3);
    expect(edits.length).toBeGreaterThan(1);
    const last = JSON.stringify(edits.at(-1)!.blocks);
    expect(last).toContain("30/30 done");
    expect(last).toContain("*Summary*: completed");
    expect(h.emulator.thread(INCIDENT, progress.ts)).toHaveLength(30);
  });
});
