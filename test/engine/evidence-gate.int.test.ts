import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import type { Runbook } from "../../src/domain/runbook.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect, Ledger, undoable, undoStepKind } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The engine's check before it runs anything of a run (src/engine/evidence-gate.ts), as the runtime
 * wires it: the real Bolt against the Slack emulator, the run in a real Redis, every proof verified
 * again. What someone who can write drbot's Redis does is done to the stored run directly.
 */

let redis: RedisServer;
let prefixes = 0;
const openStore = (): Promise<RedisRunStore> => openTestRedisStore(redis.url, `gate${++prefixes}:`);

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const VALID_FOR_MS = 10 * 60_000;

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Requests a failover of `runbook` in Slack as U0ONCALL and has U0A1 and U0A2 approve it. */
async function approvedFailover(
  runbook: Runbook,
  clock?: { now: () => number },
): Promise<{ h: SlackHarness; runId: string }> {
  const config = testConfig();
  const ledger = new Ledger();
  h = await startSlackHarness({
    runbooks: [runbook],
    ledger,
    extraKinds: [undoStepKind(ledger)],
    store: await openStore(),
    checkEvidence: true,
    config: { ...config, approvals: { ...config.approvals, validFor: VALID_FOR_MS } },
    ...(clock ? { clock } : {}),
  });
  await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
  expect(await h.lastEphemeral("U0ONCALL", 0)).toMatch(/^Requested `failover-/);
  const card = await h.findMessage("Failover requested");
  const runId = (await h.store.listRuns())[0]!.id;
  await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
  await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
  return { h, runId };
}

const announced = (h: SlackHarness, what: string, runId: string) =>
  waitFor(() => h.emulator.messages(INCIDENT).some((m) => m.text.includes(what) && m.text.includes(runId)), {
    description: `${what} announced in the incident channel`,
  });

const withChecklist = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [
    {
      name: "main",
      steps: [
        undoable("scale-up"),
        { id: "fenced", title: "DC1 fenced", kind: "checklist", with: { items: ["DC1 is off"] } },
        effect("switch-dns"),
      ],
    },
  ],
});

describe("the engine's evidence check, on a run in a real Redis", () => {
  it("refuses and announces as tampering a step whose raw params were changed in Redis after approval", async () => {
    const { h, runId } = await approvedFailover(withChecklist);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "waiting_manual", {
      description: "the run to wait at the checklist",
    });
    const approved = (await h.store.getRun(runId))!;
    const steps = approved.plan.steps.map((s) =>
      s.id === "switch-dns" ? { ...s, rawParams: { ...s.rawParams, key: "drop-the-database" } } : s,
    );
    expect(
      await h.store.updateRun(
        { ...approved, plan: { ...approved.plan, steps }, version: approved.version + 1 },
        approved.version,
      ),
    ).toBe(true);
    const progress = await h.findMessage(`Failover ${runId}`);
    await h.click("U0A1", INCIDENT, progress.ts, "dr:tick");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to be refused",
    });
    expect((await h.store.getRun(runId))!.stateReason).toContain(
      "refused, tampering: its plan does not match its hash",
    );
    expect(h.ledger.entries).toEqual(["scale-up"]);
    await announced(h, "*Tampering*", runId);
  });

  it("runs the legitimate run to completion, each step with its params parsed again", async () => {
    const { h, runId } = await approvedFailover(withChecklist);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "waiting_manual", {
      description: "the run to wait at the checklist",
    });
    const progress = await h.findMessage(`Failover ${runId}`);
    await h.click("U0A1", INCIDENT, progress.ts, "dr:tick");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "completed", {
      description: "the run to complete",
    });
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
    const stored = (await h.store.getRun(runId))!;
    expect(stored.plan.steps.find((s) => s.id === "switch-dns")).toMatchObject({
      rawParams: { key: "switch-dns" },
      params: { key: "switch-dns", holdMs: 0, fail: false },
    });
  });

  it("takes back what ran when a run paused past approvals.validFor is aborted, and refuses it as no longer approved", async () => {
    let shift = 0;
    const clock = { now: () => Date.now() + shift };
    const runbook = testRunbook({
      name: "failover",
      approvals: { required: 2 },
      phases: [{ name: "main", steps: [undoable("scale-up"), effect("switch-dns", {}, { fail: true })] }],
    });
    const { h, runId } = await approvedFailover(runbook, clock);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "paused_failed_step", {
      description: "the run to pause on the failed step",
    });
    // People talk it over for longer than the approvals hold (and Slack's clock skew allowance).
    shift = VALID_FOR_MS + 6 * 60_000;
    await h.dr("U0A1", `abort ${runId} --note "we stay on DC1"`);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to end aborted",
    });
    expect(h.ledger.entries).toEqual(["scale-up", "undo-scale-up"]);
    expect((await h.store.getSteps(runId)).get("scale-up")).toMatchObject({ undone: true });
    const run = (await h.store.getRun(runId))!;
    expect(run.stateReason).toMatch(
      /^refused, not approved as required: its last approval is .* old, past approvals\.validFor/,
    );
    await announced(h, "*Not approved as required*", runId);
  });

  it("does not run the undo of a run stripped of its approvals in Redis (said to need none) when it is aborted", async () => {
    const runbook = testRunbook({
      name: "failover",
      approvals: { required: 2 },
      phases: [{ name: "main", steps: [undoable("scale-up"), effect("switch-dns", {}, { fail: true })] }],
    });
    const { h, runId } = await approvedFailover(runbook);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "paused_failed_step", {
      description: "the run to pause on the failed step",
    });
    // Someone who can write Redis makes the run one that asked for no approval: not tampering by
    // the count (it holds what it asked for), but nothing genuine vouches for its plan any more.
    const paused = (await h.store.getRun(runId))!;
    expect(
      await h.store.updateRun(
        { ...paused, approvals: [], requiredApprovals: 0, version: paused.version + 1 },
        paused.version,
      ),
    ).toBe(true);
    await h.dr("U0A1", `abort ${runId}`);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to end aborted",
    });
    expect((await h.store.getRun(runId))!.stateReason).toMatch(/^refused, not approved as required/);
    expect(h.ledger.entries).toEqual(["scale-up"]);
    expect((await h.store.getSteps(runId)).get("scale-up")?.undone).toBeUndefined();
    await announced(h, "*Not approved as required*", runId);
  });

  it("does not give back what a run stopped once its promotion started, when its point of no return was removed in Redis", async () => {
    const runbook = testRunbook({
      name: "failover",
      approvals: { required: 2 },
      phases: [
        {
          name: "main",
          steps: [
            undoable("stop-writes", {
              undo: { kind: "test.undo", with: { key: "undo-stop-writes" }, until: "promote" },
            }),
            effect("promote", {}, { fail: true }),
          ],
        },
      ],
    });
    const { h, runId } = await approvedFailover(runbook);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "paused_failed_step", {
      description: "the run to pause on the failed promotion",
    });
    // Someone who can write Redis drops the point of no return, so the abort would write on both sites.
    const paused = (await h.store.getRun(runId))!;
    const steps = paused.plan.steps.map((s) => {
      if (!s.undo) return s;
      const { until: _, ...undo } = s.undo;
      return { ...s, undo };
    });
    expect(
      await h.store.updateRun(
        { ...paused, plan: { ...paused.plan, steps }, version: paused.version + 1 },
        paused.version,
      ),
    ).toBe(true);
    await h.dr("U0A1", `abort ${runId}`);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to end aborted",
    });
    expect((await h.store.getRun(runId))!.stateReason).toContain(
      "refused, tampering: its plan does not match its hash",
    );
    expect(h.ledger.entries).toEqual(["stop-writes"]);
    expect((await h.store.getSteps(runId)).get("stop-writes")?.undone).toBeUndefined();
    await announced(h, "*Tampering*", runId);
  });

  it("does not run the undo of a run tampered with while it runs, when it is then aborted, and announces it", async () => {
    const runbook = testRunbook({
      name: "failover",
      approvals: { required: 2 },
      phases: [{ name: "main", steps: [undoable("scale-up", {}, { holdMs: 60_000 }), effect("switch-dns")] }],
    });
    const { h, runId } = await approvedFailover(runbook);
    await waitFor(async () => (await h.store.getSteps(runId)).get("scale-up")?.status === "running", {
      description: "scale-up to be running",
    });
    // The undo is what someone who can write Redis changes: it now drops something else.
    const running = (await h.store.getRun(runId))!;
    const steps = running.plan.steps.map((s) =>
      s.id === "scale-up" && s.undo
        ? { ...s, undo: { ...s.undo, params: { key: "drop-it" }, rawParams: { key: "drop-it" } } }
        : s,
    );
    expect(
      await h.store.updateRun(
        { ...running, plan: { ...running.plan, steps }, version: running.version + 1 },
        running.version,
      ),
    ).toBe(true);
    await h.dr("U0ONCALL", `abort ${runId}`);
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to end aborted",
    });
    expect((await h.store.getRun(runId))!.stateReason).toContain(
      "refused, tampering: its plan does not match its hash",
    );
    expect(h.ledger.entries).toEqual([]);
    expect((await h.store.getSteps(runId)).get("scale-up")?.undone).toBeUndefined();
    await announced(h, "*Tampering*", runId);
  });
});
