import type { Proof } from "../domain/evidence/proof.js";
import type { EvidenceVerdict } from "../domain/evidence/run-evidence.js";
import type { SignedAction } from "../domain/evidence/signed-claim.js";
import type { RunRecord } from "../domain/run.js";

/**
 * How a person proves an action: Slack's signed request as it arrived (the Slack surface keeps it),
 * or a signer that signs, with the person's own SSH key, the claim drbot writes for the action (the
 * CLI: `ssh-keygen -Y sign`, src/adapters/ssh/ssh-keygen-signer.ts).
 */
export type Witness = { proof: Proof } | Signer;

export interface Signer {
  /** Signs `message` in the drbot namespace; resolves to the armored SSHSIG signature. Throws DrError. */
  sign(message: string): Promise<string>;
}

/** The action a person is taking, as drbot expects it to be proven. */
export interface ExpectedAction {
  /** Who says they act (a Slack user ID). */
  actor: string;
  action: SignedAction;
  /** The run acted on (for a request: the run about to be created). */
  run: Pick<RunRecord, "id" | "kind" | "runbook" | "plan" | "rpoRisk">;
  /** What the action is about beyond the run: a step, a checklist item, the data loss accepted. */
  step?: string;
  item?: string;
  /** The key of the data-loss reading the approver accepts (src/domain/data-loss.ts). */
  acceptsDataLoss?: string;
  /** The key of the not-ready readiness reading the approver accepts (src/domain/readiness/run-readiness.ts). */
  acceptsNotReady?: string;
  reason?: string;
}

/**
 * Approvals as evidence: every person's action is proven as it is taken, and the engine checks a
 * run's stored proofs again before it claims the run and before every step
 * (src/app/verified-evidence.ts). Whoever can write to the store still cannot make a run execute.
 */
export interface Evidence {
  /**
   * Checks that `witness` proves `expected` now (who, what, for which run and plan, fresh, never seen
   * before) and gives the proof to keep with the action. Throws DrError("unproven") saying why, with
   * the claimed person and the key's fingerprint in its details for the audit trail.
   */
  prove(expected: ExpectedAction, witness: Witness | undefined): Promise<Proof | undefined>;
  /** Whether a run as stored may execute (src/domain/evidence/run-evidence.ts). Never throws. */
  checkRun(run: RunRecord): Promise<EvidenceVerdict>;
}
