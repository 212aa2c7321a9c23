import type { Attestation } from "./run.js";

/** The item an approval gate's click records on its step (a checklist records the item's text). */
export const APPROVAL_GATE_ITEM = "approve";

/**
 * The approvals an approval gate counts: one per person, the first of theirs, never the requester's.
 * The gate step and the card showing it count the same way.
 */
export function gateApprovals(attestations: readonly Attestation[], requestedBy: string): Attestation[] {
  const seen = new Set<string>();
  return attestations.filter((a) => {
    if (a.item !== APPROVAL_GATE_ITEM || a.userId === requestedBy || seen.has(a.userId)) return false;
    seen.add(a.userId);
    return true;
  });
}
