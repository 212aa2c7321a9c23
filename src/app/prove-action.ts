import { isDrError } from "../domain/errors.js";
import type { Proof } from "../domain/evidence/proof.js";
import type { ExpectedAction, Witness } from "../ports/evidence.js";
import type { AppContext } from "./app-context.js";

/**
 * Proves a person's action before it is applied (src/ports/evidence.ts) and gives the proof to keep.
 * A refusal is audited first, with who the proof claims to be from and the key that signed it, in
 * `streamId`'s trail (the run's, or the audit stream for a request that never became a run).
 */
export async function proveAction(
  ctx: AppContext,
  streamId: string,
  expected: ExpectedAction,
  witness: Witness | undefined,
): Promise<Proof | undefined> {
  try {
    return await ctx.evidence.prove(expected, witness);
  } catch (error) {
    if (isDrError(error))
      throw await ctx.writer.refuse(streamId, expected.actor, error, {
        action: expected.action,
        ...error.details,
      });
    throw error;
  }
}
