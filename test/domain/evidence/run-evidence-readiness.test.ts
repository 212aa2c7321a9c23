import { describe, expect, it } from "vitest";
import { KeyRing } from "../../../src/domain/evidence/key-ring.js";
import { checkRunEvidence, type EvidenceRules } from "../../../src/domain/evidence/run-evidence.js";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import { readinessKey, runReadiness } from "../../../src/domain/readiness/run-readiness.js";
import type { Approval, RunRecord } from "../../../src/domain/run.js";
import { approveValue, RUN_ACTION } from "../../../src/domain/slack-actions.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { plannedRun } from "../../support/planned-run.js";
import {
  slackClickProof,
  slackCommandProof,
  sshProof,
  TEST_SIGNING_SECRET,
  testSigner,
} from "../../support/proofs.js";
import { readinessRound } from "../../support/readiness-fixture.js";

/**
 * The engine's evidence gate and a scope that is not ready: acceptance is part of what an approval
 * proves, so a run whose approvals do not name the not-ready reading it shows is not executed,
 * whatever the store says about who accepted what.
 */
const NOW = 1_767_236_400_000;
const STEPS = [{ id: "run", title: "Run", kind: "shell", with: { command: "true", args: [] } }];
const alice = testSigner("U0A1");
const bob = testSigner("U0A2");
const keys = KeyRing.from({ U0A1: [alice.publicLine], U0A2: [bob.publicLine] });

const rules: EvidenceRules = {
  now: NOW,
  runbookKind: "failover",
  required: 2,
  isApprover: (userId) => userId === "U0A1" || userId === "U0A2",
  scheduled: false,
  expiryMs: 30 * 60_000,
  validForMs: 24 * 3_600_000,
  proofKeys: { signingSecret: TEST_SIGNING_SECRET, keys, trustSocketMode: false },
  catalog: createStepKindRegistry(),
};

const notReady = runReadiness(keptRound(readinessRound(NOW - 60_000), NOW, 300_000), ["payments"]);

function approved(accepts: { slack?: string; cli?: string }, overrides: Partial<RunRecord> = {}): RunRecord {
  const run = plannedRun(STEPS, {
    requestedBy: "U0ONCALL",
    state: "approved",
    readiness: notReady,
    ...overrides,
  });
  const click = approveValue({
    runId: run.id,
    planHash: run.plan.hash,
    ...(accepts.slack ? { acceptsNotReady: accepts.slack } : {}),
  });
  const approvals: Approval[] = [
    {
      userId: "U0A1",
      at: NOW,
      planHash: run.plan.hash,
      acceptedNotReady: true,
      proof: slackClickProof("U0A1", RUN_ACTION.approve, click, NOW - 60_000),
    },
    {
      userId: "U0A2",
      at: NOW,
      planHash: run.plan.hash,
      acceptedNotReady: true,
      proof: sshProof(
        bob,
        "approve",
        run,
        NOW - 30_000,
        accepts.cli ? { "accepts-not-ready": accepts.cli } : {},
      ),
    },
  ];
  return {
    ...run,
    requestProof: slackCommandProof("U0ONCALL", "failover payments --reason dc1", NOW - 120_000),
    approvals,
  };
}

describe("the evidence gate and a scope that is not ready", () => {
  it("executes a run whose every approval names the not-ready reading it shows, Slack and CLI alike", () => {
    const key = readinessKey(notReady);
    expect(checkRunEvidence(approved({ slack: key, cli: key }), rules)).toEqual({
      ok: true,
      approvedBy: ["U0A1", "U0A2"],
    });
  });

  it("does not execute a run whose approvals did not accept it, whatever the stored approvals say", () => {
    expect(checkRunEvidence(approved({}), rules)).toMatchObject({
      ok: false,
      problem: "unapproved",
      reasons: [
        "U0A1 did not accept the not-ready readiness the run now shows",
        "U0A2 did not accept the not-ready readiness the run now shows",
        "0 of the 2 approval(s) it needs are proven and from eligible people other than its requester",
      ],
    });
  });

  it("does not execute a run whose approvals accepted another reading", () => {
    const other = readinessKey({ ...notReady, readAt: NOW - 3_600_000 } as typeof notReady);
    const verdict = checkRunEvidence(approved({ slack: other, cli: readinessKey(notReady) }), rules);
    expect(verdict).toMatchObject({
      ok: false,
      problem: "unapproved",
      reasons: [
        "U0A1 did not accept the not-ready readiness the run now shows",
        "1 of the 2 approval(s) it needs are proven and from eligible people other than its requester",
      ],
    });
  });

  it("asks no acceptance of a drill's approvals", () => {
    const drill = approved({}, { kind: "drill", mode: "drill" });
    expect(checkRunEvidence(drill, { ...rules, runbookKind: "drill" }).ok).toBe(
      checkRunEvidence({ ...drill, readiness: undefined }, { ...rules, runbookKind: "drill" }).ok,
    );
  });
});
