import { describe, expect, it } from "vitest";
import { dataLossKey } from "../../../src/domain/data-loss.js";
import { KeyRing } from "../../../src/domain/evidence/key-ring.js";
import { checkRunEvidence, type EvidenceRules } from "../../../src/domain/evidence/run-evidence.js";
import { hashPlan } from "../../../src/domain/plan-hash.js";
import { LEGACY_PLAN } from "../../../src/domain/plan-params.js";
import type { Approval, Plan, PlanStep, RpoRisk, RunRecord } from "../../../src/domain/run.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { plannedRun } from "../../support/planned-run.js";
import {
  slackApproveProof,
  slackClickProof,
  slackCommandProof,
  sshProof,
  TEST_SIGNING_SECRET,
  testSigner,
} from "../../support/proofs.js";

const NOW = 1_767_236_400_000;
const STEPS = [{ id: "run", title: "Run", kind: "shell", with: { command: "true", args: [] } }];
const alice = testSigner("U0A1");
const bob = testSigner("U0A2");
const carol = testSigner("U0A3");
const oncall = testSigner("U0ONCALL");
const keys = KeyRing.from({
  U0A1: [alice.publicLine],
  U0A2: [bob.publicLine],
  U0A3: [carol.publicLine],
  U0ONCALL: [oncall.publicLine],
});
const APPROVERS = new Set(["U0A1", "U0A2", "U0A3"]);

function rules(overrides: Partial<EvidenceRules> = {}): EvidenceRules {
  return {
    now: NOW,
    runbookKind: "failover",
    required: 2,
    isApprover: (userId) => APPROVERS.has(userId),
    scheduled: false,
    expiryMs: 30 * 60_000,
    validForMs: 24 * 3_600_000,
    proofKeys: { signingSecret: TEST_SIGNING_SECRET, keys, trustSocketMode: false },
    catalog: createStepKindRegistry(),
    ...overrides,
  };
}

/** An approved failover requested in Slack by U0ONCALL, approved in Slack by U0A1 and on the CLI by U0A2. */
function approvedRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const run = plannedRun(STEPS, { requestedBy: "U0ONCALL", state: "approved", ...overrides });
  const approvals: Approval[] = [
    approval("U0A1", run, slackApproveProof("U0A1", run, NOW - 60_000)),
    approval("U0A2", run, sshProof(bob, "approve", run, NOW - 30_000)),
  ];
  return {
    ...run,
    requestProof: slackCommandProof("U0ONCALL", "failover payments --reason dc1", NOW - 120_000),
    approvals,
    ...overrides,
  };
}

function approval(userId: string, run: Pick<RunRecord, "plan">, proof: Approval["proof"]): Approval {
  return { userId, at: NOW, planHash: run.plan.hash, ...(proof ? { proof } : {}) };
}

describe("checking a run's evidence before it executes", () => {
  it("lets a run proven requested and approved by two eligible people execute, Slack and CLI alike", () => {
    expect(checkRunEvidence(approvedRun(), rules())).toEqual({ ok: true, approvedBy: ["U0A1", "U0A2"] });
  });

  it("refuses as tampering a run written with approvals that carry no proof", () => {
    const run = approvedRun();
    const bare = { ...run, approvals: run.approvals.map(({ proof: _, ...rest }) => rest) };
    expect(checkRunEvidence(bare, rules())).toMatchObject({
      ok: false,
      problem: "tampered",
      reasons: ["the approval by U0A1 carries no proof", "the approval by U0A2 carries no proof"],
    });
  });

  it("refuses as tampering a run with no approvals at all in state approved", () => {
    expect(checkRunEvidence(approvedRun({ approvals: [] }), rules())).toMatchObject({
      ok: false,
      problem: "tampered",
      reasons: ["it holds 0 approval(s) of the 2 it needs, yet says it is approved"],
    });
  });

  it("refuses as tampering a run whose request is not proven, or proven by someone else", () => {
    expect(checkRunEvidence(approvedRun({ requestProof: undefined }), rules())).toMatchObject({
      problem: "tampered",
      reasons: ["it carries no proof of who requested it"],
    });
    const someoneElse = slackCommandProof("U0A3", "failover payments", NOW);
    expect(checkRunEvidence(approvedRun({ requestProof: someoneElse }), rules())).toMatchObject({
      problem: "tampered",
      reasons: ["it says U0ONCALL requested it, but its proof is from U0A3"],
    });
    const status = slackCommandProof("U0ONCALL", "status", NOW);
    expect(checkRunEvidence(approvedRun({ requestProof: status }), rules())).toMatchObject({
      problem: "tampered",
      reasons: ["its request proof is not a request of this failover"],
    });
  });

  it("refuses as tampering a step changed after approval, whether or not the hash was rewritten too", () => {
    const run = approvedRun();
    const step = { ...run.plan.steps[0]!, params: { command: "curl", args: ["evil.example"] } };
    const changed = { ...run, plan: { ...run.plan, steps: [step] } };
    expect(checkRunEvidence(changed, rules())).toMatchObject({
      problem: "tampered",
      reasons: [
        "its plan does not match its hash: a step was changed after the plan was made",
        "step run: its stored parameters are not what the shell schema makes of its parameters as given",
      ],
    });
    const { hash: _, ...rest } = changed.plan;
    const rehashed = { ...changed, plan: { ...changed.plan, hash: hashPlan(rest) } };
    expect(checkRunEvidence(rehashed, rules())).toMatchObject({
      problem: "tampered",
      reasons: [
        "step run: its stored parameters are not what the shell schema makes of its parameters as given",
        "the approval by U0A1 was given for another run or another plan",
        "the approval by U0A2 was given for another run or another plan",
      ],
    });
  });

  it("refuses as tampering a plan approved as it is whose stored params are not what its raw params parse to", () => {
    const base = plannedRun(STEPS).plan;
    const rehash = (steps: PlanStep[]): Plan => {
      const { hash: _, ...rest } = { ...base, steps };
      return { ...rest, hash: hashPlan(rest) };
    };
    const step = base.steps[0]!;
    // Approved for exactly this plan: only parsing the raw params again shows what is wrong.
    const otherParams = rehash([{ ...step, params: { ...step.params, command: "curl" } }]);
    expect(checkRunEvidence(approvedRun({ plan: otherParams }), rules())).toEqual({
      ok: false,
      problem: "tampered",
      reasons: [
        "step run: its stored parameters are not what the shell schema makes of its parameters as given",
      ],
    });
    const unparsable = rehash([{ ...step, rawParams: { command: 5 } }]);
    expect(checkRunEvidence(approvedRun({ plan: unparsable }), rules())).toMatchObject({
      problem: "tampered",
      reasons: [
        expect.stringMatching(
          /^step run: its parameters as given do not parse with the shell schema \(command: /,
        ),
      ],
    });
    const halfKept = rehash([
      { ...step, rawParams: undefined },
      { ...step, id: "again" },
    ]);
    expect(checkRunEvidence(approvedRun({ plan: halfKept }), rules())).toMatchObject({
      problem: "tampered",
      reasons: ["step run keeps no parameters as the runbook gave them, though others do"],
    });
  });

  it("refuses a run planned before drbot kept raw params, saying why and to request it again, not as tampering", () => {
    const base = plannedRun(STEPS).plan;
    const { hash: _, ...rest } = { ...base, steps: base.steps.map(({ rawParams: __, ...s }) => s) };
    const legacy = { ...rest, hash: hashPlan(rest) };
    expect(checkRunEvidence(approvedRun({ plan: legacy, state: "running" }), rules())).toEqual({
      ok: false,
      problem: "unapproved",
      reasons: [LEGACY_PLAN],
      vouched: false,
    });
    expect(LEGACY_PLAN).toContain("request the run again");
  });

  it("refuses, as not enough approvals under the current rule and not as tampering, a run approved before approvals.required was raised", () => {
    const run = approvedRun({ state: "running", requiredApprovals: 2 });
    expect(checkRunEvidence(run, rules({ required: 3 }))).toEqual({
      ok: false,
      problem: "unapproved",
      reasons: [
        "not enough approvals under the current rule: it was approved by 2 of the 2 asked for then, and the configuration now asks for 3; request it again",
      ],
      // Its plan is the one two genuine approvals approved: an abort may still take it back.
      vouched: true,
    });
    // Stripped of its approvals and said to have asked for none, nothing vouches for it.
    expect(
      checkRunEvidence({ ...run, approvals: [], requiredApprovals: 0 }, rules({ required: 3 })),
    ).toMatchObject({ problem: "unapproved", vouched: false });
    // Fewer approvals than it asked for itself is still something drbot never writes.
    const short = approvedRun({ state: "running", requiredApprovals: 2 });
    expect(
      checkRunEvidence({ ...short, approvals: short.approvals.slice(0, 1) }, rules({ required: 3 })),
    ).toMatchObject({
      problem: "tampered",
      reasons: ["it holds 1 approval(s) of the 2 it needs, yet says it is running"],
    });
  });

  it("refuses as tampering a stored plan whose always step is of a kind that changes a site", () => {
    const run = approvedRun();
    const steps = run.plan.steps.map((step, i) => (i === 0 ? { ...step, always: true as const } : step));
    const { hash: _, ...rest } = { ...run.plan, steps };
    const forged = { ...rest, hash: hashPlan(rest) };
    expect(checkRunEvidence({ ...run, plan: forged }, rules())).toMatchObject({
      problem: "tampered",
      reasons: expect.arrayContaining([
        expect.stringMatching(/^its always step .* changes a site: drbot plans none such$/),
      ]),
    });
  });

  it("vouches for the plan of a run whose approvals are only too old now, so an abort may take it back", () => {
    const run = approvedRun({ state: "running" });
    expect(checkRunEvidence(run, rules({ now: NOW + 30 * 60_000, validForMs: 60_000 }))).toMatchObject({
      problem: "unapproved",
      vouched: true,
    });
  });

  it("refuses as tampering approvals copied from another run, relabelled, doubled or by the requester", () => {
    const run = approvedRun();
    const other = plannedRun(STEPS, { id: "failover-other" });
    const copied = approval("U0A1", run, slackApproveProof("U0A1", other, NOW));
    expect(checkRunEvidence({ ...run, approvals: [copied, run.approvals[1]!] }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["the approval by U0A1 was given for another run or another plan"],
    });
    const relabelled = { ...run.approvals[0]!, userId: "U0A3" };
    expect(checkRunEvidence({ ...run, approvals: [relabelled, run.approvals[1]!] }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["the approval said to be by U0A3 was given by U0A1"],
    });
    const doubled = [run.approvals[0]!, run.approvals[0]!];
    expect(checkRunEvidence({ ...run, approvals: doubled }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["U0A1 is counted twice among its approvers"],
    });
    const self = approval("U0ONCALL", run, sshProof(oncall, "approve", run, NOW));
    expect(checkRunEvidence({ ...run, approvals: [self, run.approvals[1]!] }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["the requester U0ONCALL is among its approvers"],
    });
  });

  it("refuses as tampering a Slack click not signed with drbot's signing secret, and a click on another button", () => {
    const run = approvedRun();
    const value = `${run.id}|${run.plan.hash}`;
    const forged = approval("U0A1", run, slackClickProof("U0A1", "dr:approve", value, NOW, "guessed-secret"));
    expect(checkRunEvidence({ ...run, approvals: [forged, run.approvals[1]!] }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["the approval by U0A1 is not proven: Slack's signature does not match the request"],
    });
    const resume = approval("U0A1", run, slackClickProof("U0A1", "dr:resume", value, NOW));
    expect(checkRunEvidence({ ...run, approvals: [resume, run.approvals[1]!] }, rules())).toMatchObject({
      problem: "tampered",
    });
  });

  it("refuses, without calling it tampering, a run whose approver is no longer an approver", () => {
    const isApprover = (userId: string) => userId === "U0A2";
    expect(checkRunEvidence(approvedRun(), rules({ isApprover }))).toMatchObject({
      ok: false,
      problem: "unapproved",
      reasons: expect.arrayContaining(["U0A1 is not an approver of failover runs now"]),
    });
  });

  it("cannot judge Slack proofs without the signing secret, unless the CLI signatures are enough", () => {
    const proofKeys = { keys, trustSocketMode: false };
    expect(checkRunEvidence(approvedRun(), rules({ proofKeys }))).toMatchObject({
      problem: "unverifiable",
      reasons: expect.arrayContaining([expect.stringContaining("SLACK_SIGNING_SECRET")]),
    });
    // Two CLI approvals and a Slack one: the two checkable here are enough, the Slack one waits.
    const run = approvedRun();
    const cli = {
      ...run,
      requestProof: sshProof(oncall, "request", run, NOW - 60_000),
      approvals: [
        run.approvals[0]!,
        approval("U0A3", run, sshProof(carol, "approve", run, NOW)),
        run.approvals[1]!,
      ],
    };
    expect(checkRunEvidence(cli, rules({ proofKeys: { keys, trustSocketMode: false } }))).toEqual({
      ok: true,
      approvedBy: ["U0A3", "U0A2"],
    });
  });

  it("counts unsigned Socket Mode clicks only while the configuration trusts Socket Mode", () => {
    const run = approvedRun();
    const statement = {
      kind: "action" as const,
      userId: "U0A1",
      actionId: "dr:approve",
      value: `${run.id}|${run.plan.hash}`,
      at: NOW,
    };
    const socket = {
      ...run,
      approvals: [approval("U0A1", run, { via: "socket-mode", statement }), run.approvals[1]!],
    };
    expect(checkRunEvidence(socket, rules())).toMatchObject({
      problem: "unapproved",
      reasons: expect.arrayContaining([expect.stringContaining("approvals.trustSocketMode is off")]),
    });
    const trusted = rules({ proofKeys: { signingSecret: TEST_SIGNING_SECRET, keys, trustSocketMode: true } });
    expect(checkRunEvidence(socket, trusted).ok).toBe(true);
  });

  it("refuses a loss of data approvers did not accept as it now reads", () => {
    const risk: RpoRisk = {
      exposureMs: 3_600_000,
      targetMs: 900_000,
      tier: "tier1",
      unknown: [],
      readAt: NOW,
    };
    const run = approvedRun({ rpoRisk: risk });
    expect(checkRunEvidence(run, rules())).toMatchObject({
      problem: "unapproved",
      reasons: expect.arrayContaining([
        "U0A1 did not accept the data loss the run now shows",
        "U0A2 did not accept the data loss the run now shows",
      ]),
    });
    const key = dataLossKey(risk);
    const accepted = {
      ...run,
      approvals: [
        approval("U0A1", run, slackApproveProof("U0A1", run, NOW, key)),
        approval("U0A2", run, sshProof(bob, "approve", run, NOW, { "accepts-data-loss": key })),
      ],
    };
    expect(checkRunEvidence(accepted, rules()).ok).toBe(true);
  });

  it("starts a run only within the approval expiry of its last approval, and runs it within approvals.validFor", () => {
    const later = NOW + 2 * 3_600_000;
    expect(checkRunEvidence(approvedRun(), rules({ now: later }))).toMatchObject({
      problem: "unapproved",
      reasons: [expect.stringContaining("a run starts within the approval expiry")],
    });
    expect(checkRunEvidence(approvedRun({ state: "running" }), rules({ now: later })).ok).toBe(true);
    expect(
      checkRunEvidence(approvedRun({ state: "running" }), rules({ now: NOW + 25 * 3_600_000 })),
    ).toMatchObject({
      problem: "unapproved",
      reasons: [expect.stringContaining("past approvals.validFor")],
    });
  });

  it("runs a run that needs no approval only with the plan its runbook gives", () => {
    const run = approvedRun({ approvals: [] });
    expect(checkRunEvidence(run, rules({ required: 0, replannedHash: run.plan.hash })).ok).toBe(true);
    expect(checkRunEvidence(run, rules({ required: 0, replannedHash: "0".repeat(64) }))).toMatchObject({
      problem: "tampered",
    });
  });

  it("refuses, as no longer allowed and not as tampering, a run needing no approval that its runbook refuses now; waits when the plan could not be computed", () => {
    const run = approvedRun({ approvals: [] });
    expect(
      checkRunEvidence(run, rules({ required: 0, replanRefused: "dr serves payments since 03:12" })),
    ).toEqual({
      ok: false,
      problem: "unapproved",
      reasons: ["it needs no approval, and its runbook refuses it now: dr serves payments since 03:12"],
      vouched: false,
    });
    expect(checkRunEvidence(run, rules({ required: 0 }))).toMatchObject({ problem: "unverifiable" });
  });

  it("refuses as tampering a run whose scope, mode or kind differ from its plan's, or from its runbook's", () => {
    const run = approvedRun();
    expect(checkRunEvidence({ ...run, mode: "drill" }, rules()).ok).toBe(false);
    expect(checkRunEvidence({ ...run, scope: { ...run.scope, toSite: "dc1" } }, rules())).toMatchObject({
      problem: "tampered",
      reasons: ["its runbook, kind, mode or scope differ from its plan's"],
    });
    expect(checkRunEvidence(run, rules({ runbookKind: "drill" }))).toMatchObject({ problem: "tampered" });
  });
});
