import type { RunKind } from "../config.js";
import { dataLossKey } from "../data-loss.js";
import { formatMs } from "../duration.js";
import type { StepCatalog } from "../plan.js";
import { canonicalJson, planMatchesHash } from "../plan-hash.js";
import { LEGACY_PLAN, planParamsProblems } from "../plan-params.js";
import { needsReadinessAcceptance, readinessKey } from "../readiness/run-readiness.js";
import type { Approval, RunRecord } from "../run.js";
import { confirmsRequest } from "../run-confirmation.js";
import {
  type ApproveClick,
  DR_COMMAND,
  parseApproveValue,
  RUN_ACTION,
  WATCH_ACTION,
} from "../slack-actions.js";
import { type ProofKeys, readProof, type Said } from "./proof.js";

/**
 * Whether a run, as stored, may execute: the check the engine makes before it claims a run and again
 * before every step, from the run's own proofs and the configuration alone. Nothing the store says is
 * taken on trust: the plan is hashed again, every proof is verified again, the requester and each
 * approver are read from their proofs, each approval must be for this run and this exact plan, the
 * approvers must be eligible now and other than the requester, and there must be as many as the
 * configuration (not the run) asks for.
 */

export interface EvidenceRules {
  now: number;
  /** The kind of runs the run's runbook makes (the runbook on disk, not the run's own word). */
  runbookKind: RunKind;
  /** Approvals the configuration asks for this runbook (never the run's own count). */
  required: number;
  /** Whether the person may approve runs of this kind now (resolved by the caller, deny by default). */
  isApprover: (userId: string) => boolean;
  /** The run was requested by drbot itself for a scheduled kind, so it has no requester proof. */
  scheduled: boolean;
  /** For a run needing no approval: the hash of the plan the configuration gives for it now. */
  replannedHash?: string;
  /**
   * For a run needing no approval: why its runbook refuses it now (a site it needs is serving, its
   * scope is gone). The plan is computed from the configuration and the site state alone, so this is
   * a decision, not an outage: the run is no longer allowed, and ends.
   */
  replanRefused?: string;
  /** The runbook's approval window: a run starts within it of its last approval. */
  expiryMs: number;
  /** How long after its last approval a run may still execute steps (approvals.validFor). */
  validForMs: number;
  proofKeys: ProofKeys;
  /** The step kinds, to parse every step's raw parameters again (src/domain/plan-params.ts). */
  catalog: StepCatalog;
}

/**
 * ok: it may execute. tampered: it holds what drbot never writes (a plan that does not match its hash,
 * a proof that does not verify or is for something else); unapproved: its proofs are genuine but do
 * not add up to enough eligible approvers now (one was removed from the configuration, the approvals
 * are too old); unverifiable: this process lacks what checking takes (the signing secret).
 */
export type EvidenceVerdict =
  | { ok: true; approvedBy: string[] }
  | {
      ok: false;
      problem: "tampered" | "unapproved" | "unverifiable";
      reasons: string[];
      /**
       * For an unapproved run: its plan is the one genuine proofs approved (a proven requester, and
       * as many approvals by others, signed for this run and plan hash, as it asked for; or, needing
       * none, the plan its runbook gives now), only no longer enough now (too old, an approver
       * removed, more required). Only such a run's undo may take back what it did: an unapproved
       * run nobody vouched for is refused whole, so a run written into Redis never gets its undo run.
       */
      vouched?: boolean;
    };

/** Clocks of the signer, Slack and drbot may disagree this much. */
const SKEW_MS = 5 * 60_000;

export function checkRunEvidence(run: RunRecord, rules: EvidenceRules): EvidenceVerdict {
  const found = {
    tampered: [...planProblems(run, rules)],
    unverifiable: [] as string[],
    unapproved: [] as string[],
  };
  const requester = requesterProblem(run, rules);
  if (requester) found[requester.problem].push(requester.reason);
  const params = planParamsProblems(run.plan, rules.catalog);
  found.tampered.push(...params.problems, ...alwaysProblems(run, rules.catalog));
  // A plan from before drbot kept raw parameters is no tampering, but nothing of it runs unchecked.
  if (params.legacy) found.unapproved.push(LEGACY_PLAN);
  else if (rules.required === 0) {
    if (rules.replanRefused !== undefined)
      found.unapproved.push(`it needs no approval, and its runbook refuses it now: ${rules.replanRefused}`);
    else if (rules.replannedHash === undefined)
      found.unverifiable.push(
        "it needs no approval, and the plan its runbook gives could not be computed to compare",
      );
    else if (rules.replannedHash !== run.plan.hash)
      found.tampered.push(
        "it needs no approval, and its plan is not the one its runbook gives: only that plan runs unapproved",
      );
  }
  const counted: { userId: string; at: number }[] = [];
  // An approval this process cannot check (a Slack click, without the signing secret) blocks only
  // when the others are not enough.
  const uncheckable: string[] = [];
  const seen = new Set<string>();
  // Approvals signed for this run and plan by eligible-then people other than the requester, counted
  // or not now (too old, the approver removed, the data loss read again).
  let genuine = 0;
  for (const approval of run.approvals) {
    const judged = judgeApproval(run, approval, rules, seen);
    if (!("problem" in judged)) counted.push(judged);
    else if (judged.problem === "unverifiable") uncheckable.push(judged.reason);
    else found[judged.problem].push(judged.reason);
    if (!("problem" in judged) || (judged.problem === "unapproved" && !judged.unproven)) genuine += 1;
  }
  const vouched =
    !params.legacy &&
    requester === undefined &&
    (rules.required === 0
      ? rules.replannedHash === run.plan.hash
      : genuine >= Math.max(1, run.requiredApprovals));
  const newest = Math.max(...counted.map((c) => c.at));
  const window = run.state === "approved" ? rules.expiryMs : rules.validForMs;
  if (counted.length > 0 && newest < rules.now - window - SKEW_MS)
    found.unapproved.push(
      run.state === "approved"
        ? `its last approval is ${formatMs(rules.now - newest)} old: a run starts within the approval expiry (${formatMs(rules.expiryMs)}) of it`
        : `its last approval is ${formatMs(rules.now - newest)} old, past approvals.validFor (${formatMs(rules.validForMs)}); request it again`,
    );
  else if (counted.length < rules.required) {
    // drbot never moves a run past its request with fewer approvals than it asked for then. More
    // asked for now (approvals.required raised since) is no tampering: the run is not approved
    // enough under the rule as it stands.
    const askedThen = Math.min(run.requiredApprovals, rules.required);
    if (run.state !== "pending_approval" && run.approvals.length < askedThen)
      found.tampered.push(
        `it holds ${run.approvals.length} approval(s) of the ${askedThen} it needs, yet says it is ${run.state.replace(/_/g, " ")}`,
      );
    else if (uncheckable.length > 0) found.unverifiable.push(...uncheckable);
    else if (run.state !== "pending_approval" && run.requiredApprovals < rules.required)
      found.unapproved.push(
        `not enough approvals under the current rule: it was approved by ${counted.length} of the ${run.requiredApprovals} asked for then, and the configuration now asks for ${rules.required}; request it again`,
      );
    else
      found.unapproved.push(
        `${counted.length} of the ${rules.required} approval(s) it needs are proven and from eligible people other than its requester`,
      );
  }
  if (found.tampered.length > 0) return { ok: false, problem: "tampered", reasons: found.tampered };
  if (found.unverifiable.length > 0)
    return { ok: false, problem: "unverifiable", reasons: found.unverifiable };
  if (found.unapproved.length > 0)
    return { ok: false, problem: "unapproved", reasons: found.unapproved, vouched };
  return { ok: true, approvedBy: counted.map((c) => c.userId) };
}

type Problem = {
  problem: "tampered" | "unverifiable" | "unapproved";
  reason: string;
  /** The proof is genuine but of a kind the configuration does not trust (Socket Mode). */
  unproven?: true;
};

/**
 * `always` steps run after an abort even where the steps before them did not, so drbot plans them
 * only for kinds that change no site or take away only what the run made (checked at load): a stored
 * plan with another is one drbot never wrote.
 */
function alwaysProblems(run: RunRecord, catalog: StepCatalog): string[] {
  return run.plan.steps.flatMap((step) => {
    if (!step.always) return [];
    const kind = catalog.describe(step.kind);
    if (kind?.readOnly || kind?.onlyOwnCleanup?.(step.params)) return [];
    return [`its always step ${step.id} is a ${step.kind} step, which changes a site: drbot plans none such`];
  });
}

/** The plan must be the one its hash names, and the run around it must say what the plan says. */
function planProblems(run: RunRecord, rules: EvidenceRules): string[] {
  const problems: string[] = [];
  if (run.kind !== rules.runbookKind)
    problems.push(
      `it says it is a ${run.kind}, but its runbook ${run.runbook} makes ${rules.runbookKind} runs`,
    );
  if (!planMatchesHash(run.plan))
    problems.push("its plan does not match its hash: a step was changed after the plan was made");
  if (
    run.plan.runbook !== run.runbook ||
    run.plan.kind !== run.kind ||
    run.plan.mode !== run.mode ||
    canonicalJson(run.plan.scope) !== canonicalJson(run.scope)
  )
    problems.push("its runbook, kind, mode or scope differ from its plan's");
  return problems;
}

function requesterProblem(run: RunRecord, rules: EvidenceRules): Problem | undefined {
  if (rules.scheduled) return undefined;
  if (!run.requestProof) return { problem: "tampered", reason: "it carries no proof of who requested it" };
  const reading = readProof(run.requestProof, rules.proofKeys);
  if (!reading.ok)
    return {
      problem:
        reading.problem === "invalid"
          ? "tampered"
          : reading.problem === "untrusted"
            ? "unapproved"
            : "unverifiable",
      reason: `its request is not proven: ${reading.reason}`,
    };
  if (reading.userId !== run.requestedBy)
    return {
      problem: "tampered",
      reason: `it says ${run.requestedBy} requested it, but its proof is from ${reading.userId}`,
    };
  if (!requests(reading.said, run))
    return { problem: "tampered", reason: `its request proof is not a request of this ${run.kind}` };
  return undefined;
}

/** Whether what a proof says is a request of this run (a CLI signature names the run itself). */
function requests(said: Said, run: RunRecord): boolean {
  switch (said.kind) {
    case "claim":
      return said.claim.action === "request" && said.claim.runId === run.id;
    case "command":
      return said.command === DR_COMMAND && said.text.trim().split(/\s+/)[0] === run.kind;
    case "action":
      return (
        (said.actionId === WATCH_ACTION.alertFailover && run.kind === "failover") ||
        said.actionId === WATCH_ACTION.reminderRequest
      );
    case "submission":
      return confirmsRequest(said, run.kind);
  }
}

/** What an approval's proof approves: the run, the plan, and the data-loss and readiness readings it names. */
export function approvalSaid(said: Said): ApproveClick | undefined {
  if (said.kind === "claim") {
    if (said.claim.action !== "approve") return undefined;
    const dataLoss = said.claim.details["accepts-data-loss"];
    const notReady = said.claim.details["accepts-not-ready"];
    return {
      runId: said.claim.runId,
      planHash: said.claim.planHash,
      ...(dataLoss ? { acceptsDataLoss: dataLoss } : {}),
      ...(notReady ? { acceptsNotReady: notReady } : {}),
    };
  }
  if (said.kind !== "action" || said.actionId !== RUN_ACTION.approve) return undefined;
  return parseApproveValue(said.value);
}

function judgeApproval(
  run: RunRecord,
  approval: Approval,
  rules: EvidenceRules,
  seen: Set<string>,
): Problem | { userId: string; at: number } {
  const who = approval.userId;
  if (!approval.proof) return { problem: "tampered", reason: `the approval by ${who} carries no proof` };
  const reading = readProof(approval.proof, rules.proofKeys);
  if (!reading.ok)
    return {
      problem:
        reading.problem === "invalid"
          ? "tampered"
          : reading.problem === "untrusted"
            ? "unapproved"
            : "unverifiable",
      reason: `the approval by ${who} is not proven: ${reading.reason}`,
      ...(reading.problem === "untrusted" ? { unproven: true as const } : {}),
    };
  if (reading.userId !== who)
    return {
      problem: "tampered",
      reason: `the approval said to be by ${who} was given by ${reading.userId}`,
    };
  const said = approvalSaid(reading.said);
  if (
    !said ||
    said.runId !== run.id ||
    said.planHash !== run.plan.hash ||
    approval.planHash !== run.plan.hash
  )
    return {
      problem: "tampered",
      reason: `the approval by ${who} was given for another run or another plan`,
    };
  if (who === run.requestedBy)
    return { problem: "tampered", reason: `the requester ${who} is among its approvers` };
  if (seen.has(who)) return { problem: "tampered", reason: `${who} is counted twice among its approvers` };
  seen.add(who);
  if (!rules.isApprover(who))
    return { problem: "unapproved", reason: `${who} is not an approver of ${run.kind} runs now` };
  if (run.rpoRisk && said.acceptsDataLoss !== dataLossKey(run.rpoRisk))
    return { problem: "unapproved", reason: `${who} did not accept the data loss the run now shows` };
  if (needsReadinessAcceptance(run) && run.readiness && said.acceptsNotReady !== readinessKey(run.readiness))
    return {
      problem: "unapproved",
      reason: `${who} did not accept the not-ready readiness the run now shows`,
    };
  return { userId: who, at: reading.at };
}
