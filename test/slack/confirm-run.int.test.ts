import { afterEach, describe, expect, it } from "vitest";
import type { ReadinessReport } from "../../src/domain/readiness/readiness.js";
import type { RpoReading } from "../../src/domain/rpo.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { slackProof } from "../support/proofs.js";
import { blocksText, INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Typed confirmation of a real failover or failback through the real Bolt and the emulator's
 * modals: `/dr failover` opens a modal with the plan, the data at risk and the readiness verdict,
 * and only the scope's name typed exactly requests the run, with the signed submission kept as the
 * requester's proof, which the engine verifies before it runs anything.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "activate", steps: [effect("scale-up"), effect("switch-dns")] }],
});
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  approvals: { required: 1 },
  phases: [{ name: "drill", steps: [effect("drill-scale")] }],
});

const lagging: RpoReading = {
  source: "pg",
  kind: "postgres",
  exposureMs: 2 * 3_600_000,
  at: Date.now(),
  detail: "replication lag 2h",
};

const readiness = (at: number): ReadinessReport => ({
  readAt: at,
  tookMs: 800,
  applications: [
    {
      application: "payments",
      tier: "tier1",
      verdict: "not_ready",
      findings: [
        {
          check: "drift",
          verdict: "not_ready",
          summary: "image api: ghcr.io/acme/api:1.4.2 on dc1, 1.4.1 on dc2",
          evidence: [],
          action: "deploy 1.4.2 on dc2",
        },
      ],
    },
  ],
  tiers: [],
});

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function openConfirmation(h: SlackHarness, text = 'failover payments --reason "DC1 down"') {
  await h.emulator.sendSlashCommand({ userId: "U0ONCALL", channelId: INCIDENT, text });
  return h.emulator.waitForModal("U0ONCALL", (m) => m.view.submit !== undefined);
}

describe("typed confirmation of a real failover", () => {
  it("opens a modal with the plan, the data at risk and the readiness findings, and asks for the scope's name", async () => {
    h = await startSlackHarness({
      runbooks: [failover],
      readRpo: async () => [lagging],
      readiness: { latest: async () => readiness(Date.now() - 60_000) },
    });

    const modal = await openConfirmation(h);

    const shown = JSON.stringify(modal.view.blocks);
    expect(modal.view.title).toEqual({ type: "plain_text", text: "Confirm failover" });
    expect(modal.view.submit).toEqual({ type: "plain_text", text: "Fail over" });
    expect(shown).toContain("*Real failover* of payments (dc1 → dc2)");
    expect(shown).toContain("1. Effect scale-up");
    expect(shown).toContain("2h");
    expect(shown).toContain("*Readiness*: :red_circle: not ready (read 1m ago)");
    expect(shown).toContain("payments · drift: image api: ghcr.io/acme/api:1.4.2 on dc1, 1.4.1 on dc2");
    expect(shown).toContain('"text":"Type payments to confirm"');
    expect(h.emulator.events("api_call").filter((c) => c.error === "invalid_arguments")).toEqual([]);
    expect(await h.store.listRuns()).toEqual([]);
  });

  it("refuses a wrong name in the modal, requests nothing, and audits the refusal", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    const modal = await openConfirmation(h);

    const wrong = await h.emulator.submitView({
      userId: "U0ONCALL",
      viewId: modal.id,
      values: { typed: "Payments" },
    });

    expect(wrong.viewOutcome).toBe("errors");
    expect(wrong.errors).toEqual({
      "dr:confirm-scope": "Type payments exactly to confirm. Nothing was requested.",
    });
    expect(h.emulator.views.modal("U0ONCALL")?.id).toBe(modal.id);
    const refusals = async () => (await h!.service.auditTrail()).filter((e) => e.type === "run.refusal");
    await waitFor(async () => (await refusals()).length > 0, { description: "the refusal audited" });
    expect((await refusals())[0]).toMatchObject({
      actor: "U0ONCALL",
      data: { code: "not_confirmed", typed: "Payments" },
    });
    expect(await h.store.listRuns()).toEqual([]);
    expect(h.emulator.messages(INCIDENT)).toEqual([]);
  });

  it("requests the run on the right name; the engine verifies the signed submission as the requester's proof", async () => {
    h = await startSlackHarness({ runbooks: [failover], checkEvidence: true });
    const modal = await openConfirmation(h);

    const right = await h.emulator.submitView({
      userId: "U0ONCALL",
      viewId: modal.id,
      values: { typed: "payments" },
    });

    expect(right.viewOutcome).toBe("closed");
    const card = await h.findMessage("Failover requested");
    expect(await h.lastEphemeral("U0ONCALL", 0)).toMatch(/^Requested `failover-/);
    const run = (await h.store.listRuns())[0]!;
    expect(run.reason).toBe("DC1 down");
    const proof = run.requestProof!;
    expect(proof.via).toBe("slack");
    const body = new URLSearchParams(proof.via === "slack" ? proof.request.body : "");
    expect(JSON.parse(body.get("payload")!)).toMatchObject({
      type: "view_submission",
      user: { id: "U0ONCALL" },
      view: { callback_id: "dr:confirm-run" },
    });

    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitFor(async () => (await h!.store.getRun(run.id))?.state === "completed", {
      description: "the run completed after the engine checked its proofs",
      timeoutMs: 10_000,
    });
    expect(await h.service.evidence.checkRun((await h.store.getRun(run.id))!)).toMatchObject({ ok: true });

    // The same submission with another name typed, signed with Slack's secret, does not request it.
    const payload = JSON.parse(body.get("payload")!);
    payload.view.state.values["dr:confirm-scope"].typed.value = "tier1";
    const forgedBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const tampered = { ...run, requestProof: slackProof(forgedBody, Date.now(), h.emulator.signingSecret) };
    expect(await h.service.evidence.checkRun(tampered)).toMatchObject({
      ok: false,
      problem: "tampered",
      reasons: expect.arrayContaining(["its request proof is not a request of this failover"]),
    });
  });

  it("does not ask for a drill or a dry run", async () => {
    h = await startSlackHarness({ runbooks: [failover, drill] });

    await h.emulator.sendSlashCommand({ userId: "U0ONCALL", channelId: INCIDENT, text: "drill payments" });
    await h.findMessage("DR drill requested");
    await h.emulator.sendSlashCommand({
      userId: "U0ONCALL",
      channelId: INCIDENT,
      text: 'failover payments --dry-run --reason "x"',
    });
    await h.emulator.waitForEphemeral("U0ONCALL", "*Dry run*");

    expect(h.emulator.events("view_opened")).toEqual([]);
    expect((await h.store.listRuns()).map((r) => r.kind)).toEqual(["drill"]);
  });

  it("tells an unknown scope in the modal and to the person, and asks nothing", async () => {
    h = await startSlackHarness({ runbooks: [failover] });

    await h.emulator.sendSlashCommand({
      userId: "U0ONCALL",
      channelId: INCIDENT,
      text: 'failover nosuch --reason "x"',
    });

    expect(await h.lastEphemeral("U0ONCALL", 0)).toContain("neither a tier nor an application");
    const modal = await h.emulator.waitForModal("U0ONCALL", (m) =>
      JSON.stringify(m.view.blocks).includes("nosuch"),
    );
    expect(modal.view.submit).toBeUndefined();
    expect(JSON.stringify(modal.view.blocks)).toContain("Nothing was requested.");
    expect(await h.store.listRuns()).toEqual([]);
  });

  it("opens at once while the data sources are slow, then shows the data at risk and the input", async () => {
    let answer: (readings: RpoReading[]) => void = () => undefined;
    h = await startSlackHarness({
      runbooks: [failover],
      readRpo: () => new Promise<RpoReading[]>((resolve) => (answer = resolve)),
    });

    await h.emulator.sendSlashCommand({
      userId: "U0ONCALL",
      channelId: INCIDENT,
      text: 'failover payments --reason "x"',
    });
    const reading = await h.emulator.waitForModal("U0ONCALL", (m) =>
      JSON.stringify(m.view.blocks).includes("Reading the data sources"),
    );
    expect(reading.view.submit).toBeUndefined();
    expect(JSON.stringify(reading.view.blocks)).toContain("Reading the data sources…");
    answer([lagging]);

    const ready = await h.emulator.waitForModal("U0ONCALL", (m) => m.view.submit !== undefined);
    expect(ready.id).toBe(reading.id);
    expect(blocksText({ blocks: ready.view.blocks } as never)).toContain("2h");
  });
});
