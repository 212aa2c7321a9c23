import type { RunKind } from "../../domain/config.js";
import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import { type ScopeReadiness, scopeReadiness } from "../../domain/readiness/scope-readiness.js";
import { isTerminal, type RunRecord } from "../../domain/run.js";
import type { ArtifactStore } from "../../ports/artifact-store.js";
import type { Clock } from "../../ports/clock.js";
import type { Logger } from "../../ports/logger.js";
import type { ReadinessRequest, ReadinessStore } from "../../ports/readiness-store.js";
import type { RunObserver } from "../../ports/run-observer.js";

/** Runs that move (or drill moving) the serving site: their reports show readiness before and after. */
const MOVING_KINDS: ReadonlySet<RunKind> = new Set(["failover", "failback", "drill"]);

/** The run artifact holding the scope's readiness at that moment (ScopeReadiness JSON). */
export const readinessArtifact = (moment: "before" | "after") => `readiness:${moment}`;

/**
 * Readiness around a failover, failback or drill, as a run observer in every process that requests
 * or drives runs: when one is requested, the kept round is recorded as the scope's readiness before
 * it (or, with none kept yet, a round is asked for); when one that executed ends, a round is asked
 * for (the serving site changed), and the leader records it as the readiness after. Never slows the
 * run: the work is queued, bounded by the store's deadlines, and failures are logged.
 */
export function readinessOfRuns(d: {
  store: ReadinessStore;
  artifacts: ArtifactStore;
  clock: Clock;
  log: Logger;
}): RunObserver {
  const failed = (runId: string, what: string) => (error: unknown) =>
    d.log.warn(`readiness ${what} of the run could not be recorded; its report says it is not known`, {
      operation: "readiness.run",
      runId,
      err: error,
    });
  const before = async (run: RunRecord) => {
    const kept = await d.store.latest();
    if (kept) return recordScopeReadiness(d.artifacts, run.id, "before", kept, run.scope.applications);
    await d.store.request(request(run, "before", d.clock.now()));
  };
  return {
    onRunEvent(event, run) {
      if (!MOVING_KINDS.has(run.kind)) return;
      if (event.type === "run.requested") void before(run).catch(failed(run.id, "before"));
      else if (
        event.type === "run.state" &&
        isTerminal(run.state) &&
        run.rto.activationStartedAt !== undefined
      )
        void d.store.request(request(run, "after", d.clock.now())).catch(failed(run.id, "after"));
    },
  };
}

function request(run: RunRecord, moment: "before" | "after", at: number): ReadinessRequest {
  return {
    at,
    runId: run.id,
    moment,
    applications: [...run.scope.applications],
    reason: moment === "before" ? `${run.id} requested` : `${run.id} ${run.state}`,
  };
}

/** What a kept round found for the runs that asked for it (the leader calls this after keeping it). */
export async function recordRunsReadiness(
  artifacts: ArtifactStore,
  report: ReadinessReport,
  requests: readonly ReadinessRequest[],
): Promise<void> {
  await Promise.all(
    requests.flatMap((r) =>
      r.runId
        ? [recordScopeReadiness(artifacts, r.runId, r.moment ?? "after", report, r.applications ?? [])]
        : [],
    ),
  );
}

async function recordScopeReadiness(
  artifacts: ArtifactStore,
  runId: string,
  moment: "before" | "after",
  report: ReadinessReport,
  applications: readonly string[],
): Promise<void> {
  const scope: ScopeReadiness = scopeReadiness(report, applications);
  await artifacts.put(runId, readinessArtifact(moment), JSON.stringify(scope));
}
