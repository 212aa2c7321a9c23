import { randomBytes } from "node:crypto";
import type { Config } from "../domain/config.js";
import { DrError, describeError } from "../domain/errors.js";
import type { KeyRing } from "../domain/evidence/key-ring.js";
import {
  MAX_PROOF_BYTES,
  type Proof,
  type ProofKeys,
  proofSize,
  readProof,
} from "../domain/evidence/proof.js";
import { approvalSaid, checkRunEvidence, type EvidenceVerdict } from "../domain/evidence/run-evidence.js";
import { formatClaim, type SignedClaim } from "../domain/evidence/signed-claim.js";
import { clickProves, commandProves } from "../domain/evidence/slack-binding.js";
import type { SlackStatement } from "../domain/evidence/slack-request.js";
import { SCHEDULE_ACTOR, SCHEDULED_KINDS } from "../domain/permissions.js";
import type { RunRecord } from "../domain/run.js";
import { confirmsRequest } from "../domain/run-confirmation.js";
import { requestedTargets } from "../domain/scope.js";
import { DR_COMMAND, REJECT_REASON_INPUT, RUN_VIEW, WATCH_ACTION } from "../domain/slack-actions.js";
import type { Clock } from "../ports/clock.js";
import type { Evidence, ExpectedAction, Witness } from "../ports/evidence.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";
import type { SiteStateStore } from "../ports/site-state.js";
import type { Actors } from "./actors.js";
import type { Plans } from "./plans.js";
import { readServing } from "./read-serving.js";
import { cleanReason } from "./request-run.js";

/** Clocks of the signer and of drbot may disagree this much. */
const SKEW_MS = 5 * 60_000;

export interface VerifiedEvidenceDeps {
  config: Config;
  plans: Plans;
  actors: Actors;
  store: Pick<RunStore, "dedupe">;
  clock: Clock;
  /** Each person's registered public keys (approvals.keys). */
  keys: KeyRing;
  /** Slack's signing secret, when this process has it (HTTP mode; the CLI only if it is set). */
  signingSecret?: string;
  /** Which site serves each application: what a run that needs no approval is planned from. */
  siteState: SiteStateStore;
  log: Logger;
}

/**
 * The production Evidence: proofs are checked with the signing secret and the configured keys, never
 * with anything the store says; nonces of CLI signatures are remembered in the store for the approval
 * expiry, so a signature is good once.
 */
export class VerifiedEvidence implements Evidence {
  constructor(private readonly d: VerifiedEvidenceDeps) {}

  private proofKeys(): ProofKeys {
    return {
      keys: this.d.keys,
      trustSocketMode: this.d.config.approvals.trustSocketMode,
      ...(this.d.signingSecret ? { signingSecret: this.d.signingSecret } : {}),
    };
  }

  async prove(expected: ExpectedAction, witness: Witness | undefined): Promise<Proof> {
    const proof = await this.obtain(expected, witness);
    if (proofSize(proof) > MAX_PROOF_BYTES)
      throw unproven(expected, "the proof is too large to be a Slack request or a signature");
    const reading = readProof(proof, this.proofKeys());
    if (!reading.ok) {
      const claimed = reading.claimedUser ?? expected.actor;
      const why =
        proof.via === "ssh" && this.d.keys.keysOf(claimed).length === 0
          ? `${claimed} has no key registered (approvals.keys): a person without a registered key cannot change anything from the CLI`
          : reading.reason;
      throw unproven(expected, why, {
        claimedUser: claimed,
        ...(reading.fingerprint ? { fingerprint: reading.fingerprint } : {}),
      });
    }
    const identity = {
      claimedUser: reading.userId,
      ...(reading.fingerprint ? { fingerprint: reading.fingerprint } : {}),
    };
    if (reading.userId !== expected.actor)
      throw unproven(expected, `the proof is from ${reading.userId}, not from ${expected.actor}`, identity);
    const problem =
      reading.said.kind === "claim"
        ? await this.judgeClaim(reading.said.claim, expected)
        : judgeSlack(reading.said, expected);
    if (problem) throw unproven(expected, problem, identity);
    return proof;
  }

  /** The proof as given, or the person's signature of the claim drbot writes for this action. */
  private async obtain(expected: ExpectedAction, witness: Witness | undefined): Promise<Proof> {
    if (!witness)
      throw unproven(
        expected,
        "nothing signed it: on the CLI, sign with your own SSH key (--key FILE, registered in approvals.keys), or act in Slack",
      );
    if ("proof" in witness) return witness.proof;
    const claim: SignedClaim = {
      userId: expected.actor,
      action: expected.action,
      runId: expected.run.id,
      planHash: expected.run.plan.hash,
      at: this.d.clock.now(),
      nonce: randomBytes(16).toString("hex"),
      details: {
        ...(expected.acceptsDataLoss ? { "accepts-data-loss": expected.acceptsDataLoss } : {}),
        ...(expected.acceptsNotReady ? { "accepts-not-ready": expected.acceptsNotReady } : {}),
        ...(expected.step ? { step: expected.step } : {}),
        ...(expected.item ? { item: expected.item } : {}),
        ...(expected.reason ? { reason: expected.reason } : {}),
      },
    };
    const message = formatClaim(claim);
    return { via: "ssh", message, signature: await witness.sign(message) };
  }

  /** A CLI signature: for this action on this run and plan, fresh, and never seen before. */
  private async judgeClaim(claim: SignedClaim, expected: ExpectedAction): Promise<string | undefined> {
    if (claim.action !== expected.action)
      return `the signature is for "${claim.action}", not "${expected.action}"`;
    if (claim.runId !== expected.run.id)
      return `the signature is for run ${claim.runId}, not ${expected.run.id}`;
    if (claim.planHash !== expected.run.plan.hash) return "the signature is for another plan than the run's";
    for (const [line, wanted] of [
      ["step", expected.step],
      ["item", expected.item],
      ["accepts-data-loss", expected.acceptsDataLoss],
      ["accepts-not-ready", expected.acceptsNotReady],
    ] as const)
      if (claim.details[line] !== wanted) return `the signature's ${line} is not the action's`;
    const now = this.d.clock.now();
    const expiry = this.d.plans.expiryMs(expected.run.runbook);
    if (claim.at > now + SKEW_MS) return "the signature is dated in the future";
    if (claim.at < now - expiry) return "the signature is older than the approval expiry";
    const seen = await this.d.store.dedupe(`proof-nonce:${claim.nonce}`, claim.userId, expiry + 2 * SKEW_MS);
    if (!seen.first) return "the signature was used before (a replay)";
    return undefined;
  }

  async checkRun(run: RunRecord): Promise<EvidenceVerdict> {
    try {
      const runbook = this.d.plans.loaded(run.runbook);
      if (!runbook)
        return {
          ok: false,
          problem: "tampered",
          reasons: [`its runbook ${run.runbook} is not one drbot has loaded`],
        };
      const required = runbook.approvals.required ?? this.d.config.approvals.required[runbook.kind];
      const approvers = new Map<string, boolean>();
      // A directory that cannot answer makes the run unverifiable here (left as it is), never
      // unapproved (aborted): a Slack outage must not stop a failover half-way.
      for (const userId of new Set(run.approvals.map((a) => a.userId)))
        approvers.set(
          userId,
          (await this.d.actors.of(userId, runbook.kind, { role: "approver", groupsMustAnswer: true }))
            .approver,
        );
      const replanned = required === 0 ? await this.replan(run) : {};
      return checkRunEvidence(run, {
        now: this.d.clock.now(),
        runbookKind: runbook.kind,
        required,
        isApprover: (userId) => approvers.get(userId) === true,
        scheduled: run.requestedBy === SCHEDULE_ACTOR && SCHEDULED_KINDS.has(runbook.kind),
        ...replanned,
        expiryMs: this.d.plans.expiryMs(runbook),
        validForMs: this.d.config.approvals.validFor,
        proofKeys: this.proofKeys(),
        catalog: this.d.plans.catalog,
      });
    } catch (error) {
      this.d.log.error("checking a run's evidence failed", {
        operation: "evidence.check",
        runId: run.id,
        err: error,
      });
      return {
        ok: false,
        problem: "unverifiable",
        reasons: [`its evidence could not be checked: ${describeError(error)}`],
      };
    }
  }

  /**
   * The plan the configuration gives the run now, for runs that need no approval: computed as the
   * request computed it, from where its applications are served now (never the run's own word).
   * Where the site state cannot be read, nothing is known (the run waits, unverifiable); where the
   * plan is refused from what was read, the runbook refuses the run now (it is no longer allowed).
   */
  private async replan(run: RunRecord): Promise<{ replannedHash?: string; replanRefused?: string }> {
    let serving: Awaited<ReturnType<typeof readServing>>;
    try {
      serving = await readServing(this.d);
    } catch (error) {
      this.d.log.warn("could not read the site state to plan a run that needs no approval", {
        operation: "evidence.replan",
        runId: run.id,
        err: error,
      });
      return {};
    }
    try {
      return {
        replannedHash: this.d.plans.plan({
          runbook: run.runbook,
          targets: requestedTargets(run.scope),
          withShared: run.scope.shared !== undefined,
          mode: run.mode,
          pins: run.plan.pins,
          serving,
        }).hash,
      };
    } catch (error) {
      // Planning reads nothing: what it refuses now, it refuses until the configuration or the
      // site state changes, so the run is refused rather than left waiting for ever.
      this.d.log.warn("the runbook refuses a run that needs no approval now", {
        operation: "evidence.replan",
        runId: run.id,
        err: error,
      });
      return { replanRefused: describeError(error) };
    }
  }
}

/** A Slack request or click: a request must be a /dr request of the kind, an approval the Approve click. */
function judgeSlack(said: SlackStatement, expected: ExpectedAction): string | undefined {
  const run = expected.run;
  if (expected.action === "request") {
    const requests =
      said.kind === "command"
        ? said.command === DR_COMMAND && said.text.trim().split(/\s+/)[0] === run.kind
        : said.kind === "submission"
          ? confirmsRequest(said, run.kind)
          : said.kind === "action" &&
            ((said.actionId === WATCH_ACTION.alertFailover && run.kind === "failover") ||
              said.actionId === WATCH_ACTION.reminderRequest);
    return requests ? undefined : `the Slack request is not a request of a ${run.kind}`;
  }
  if (said.kind === "submission") {
    // A modal proves only the action it was opened for, on its run, with the words typed in it.
    if (
      expected.action !== "reject" ||
      said.callbackId !== RUN_VIEW.reject ||
      said.privateMetadata.split("|")[0] !== run.id
    )
      return "the submitted Slack modal is not the rejection of this run";
    if (cleanReason(said.values[REJECT_REASON_INPUT] ?? "") !== (expected.reason ?? ""))
      return "the reason proven is not the reason given";
    return undefined;
  }
  if (expected.action === "approve") {
    const approves = approvalSaid(said);
    if (!approves || approves.runId !== run.id)
      return "the Slack click is not the Approve button of this run";
    if (approves.planHash !== run.plan.hash) return "the Slack click approves another plan than the run's";
    if (approves.acceptsDataLoss !== expected.acceptsDataLoss)
      return "the data at risk changed since the card was shown; review the new card";
    if (approves.acceptsNotReady !== expected.acceptsNotReady)
      return "the readiness changed since the card was shown; review the new card";
    return undefined;
  }
  // Every other act is proven by its own button or /dr command on this run (and step), never by
  // another signed request of the same person.
  const bound = { action: expected.action, runId: run.id, ...(expected.step ? { step: expected.step } : {}) };
  if (said.kind === "action") {
    // A rejection with a reason is proven by the reject modal that carried the reason.
    if (expected.action === "reject" && expected.reason) return "a rejection's reason is proven by its modal";
    return clickProves(said, bound);
  }
  return commandProves(said, bound);
}

function unproven(expected: ExpectedAction, why: string, details: Record<string, unknown> = {}): DrError {
  return new DrError("unproven", `your ${expected.action} of ${expected.run.id} is not proven: ${why}`, {
    claimedUser: expected.actor,
    ...details,
  });
}
