import { DrError } from "../domain/errors.js";
import { isTerminal, type RunRecord } from "../domain/run.js";
import { scopeLockKeys } from "../domain/scope.js";
import type { AppContext } from "./app-context.js";
import { AUDIT_STREAM } from "./run-writer.js";

/** The scope lock's lease while a request is being written (renewed once the run exists). */
export const SCOPE_CLAIM_TTL_MS = 30_000;
/** How long a new run's scope lock lives at least; the executor renews it while the run executes. */
export const SCOPE_RUN_TTL_MS = 6 * 3_600_000;
/** How long a request waits for the run named by a scope lock to be written. */
const HOLDER_WAIT_MS = 2_000;
const HOLDER_POLL_MS = 20;

/**
 * Takes the scope for a new request: one active run per scope. The lock is taken with a short lease
 * first and extended once the run exists, so a crash between the two writes frees the scope within
 * seconds. A scope held by an active run is refused with the run's id, owner and state.
 */
export async function claimScope(ctx: AppContext, run: RunRecord): Promise<void> {
  const keys = scopeLockKeys(run.scope, run.kind);
  for (let attempt = 0; attempt < 2; attempt++) {
    const got = await ctx.store.acquireScope(keys, run.id, SCOPE_CLAIM_TTL_MS);
    if (got.ok) return;
    const holder = await awaitRun(ctx, got.heldBy);
    if (!holder) {
      const error = new DrError("scope_busy", `request ${got.heldBy} for this scope is being created`, {
        runId: got.heldBy,
        owner: "unknown",
        state: "being requested",
      });
      throw await ctx.writer.refuse(AUDIT_STREAM, run.requestedBy, error);
    }
    if (!isTerminal(holder.state)) {
      const shared = holder.scope.applications.filter((a) => run.scope.applications.includes(a));
      const error = new DrError(
        "scope_busy",
        `${shared.join(", ")} ${shared.length === 1 ? "is" : "are"} in run ${holder.id} (${holder.kind} of ${holder.scope.applications.join(", ")}, requested by ${holder.requestedBy}, ${holder.state.replace(/_/g, " ")}); one run at a time per application: wait for it to end, or abort it`,
        {
          runId: holder.id,
          owner: holder.requestedBy,
          state: holder.state,
          kind: holder.kind,
          applications: holder.scope.applications,
          shared,
          // What this request asked for: the same as the holder's, it is the same request made twice.
          sameRequest: holder.kind === run.kind && sameSet(holder.scope.applications, run.scope.applications),
        },
      );
      throw await ctx.writer.refuse(AUDIT_STREAM, run.requestedBy, error);
    }
    // The holder ended without releasing (a crash between the two writes): heal and retry.
    await ctx.store.releaseScope(keys, got.heldBy);
  }
  throw new DrError("conflict", "the scope lock kept changing; try again");
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Frees the scope of a run that ended (rejected, expired, aborted before it ran). */
export async function releaseScopeOf(ctx: AppContext, run: RunRecord): Promise<void> {
  await ctx.store.releaseScope(scopeLockKeys(run.scope, run.kind), run.id);
}

/** A run whose scope lock exists may be a moment from being written: wait for it, bounded. */
async function awaitRun(ctx: AppContext, runId: string): Promise<RunRecord | undefined> {
  for (let waited = 0; ; waited += HOLDER_POLL_MS) {
    const run = await ctx.store.getRun(runId);
    if (run || waited >= HOLDER_WAIT_MS) return run;
    await new Promise((resolve) => setTimeout(resolve, HOLDER_POLL_MS));
  }
}
