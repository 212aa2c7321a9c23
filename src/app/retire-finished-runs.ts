import type { Config } from "../domain/config.js";
import { describeError } from "../domain/errors.js";
import type { RunReport } from "../domain/run-report.js";
import type { RunStore } from "../ports/run-store.js";

export interface RetirementOutcome {
  /** Runs whose state left the store (with their report archived under `archive`). */
  retired: string[];
  /** Runs kept for now because their report could not be built (retried on the next pass). */
  kept: { runId: string; reason: string }[];
}

/**
 * Keeps Redis bounded: runs that finished more than `retention.finishedRuns` ago leave the store.
 * With `afterwards: archive` each one's report is built first and kept for `archiveFor` (`drbot report`
 * still answers); a run whose report cannot be built is kept whole and tried again next time, never
 * dropped without its archive. With `expire` nothing is kept. At most `batch` runs per pass, oldest
 * first. Any replica may run it at any time: retiring is atomic and a retired run cannot be retired
 * again.
 */
export async function retireFinishedRuns(deps: {
  store: Pick<RunStore, "listFinishedBefore" | "retireRun">;
  buildReport: (runId: string) => Promise<RunReport>;
  retention: Config["redis"]["retention"];
  now: number;
  batch?: number;
}): Promise<RetirementOutcome> {
  const { store, retention } = deps;
  const due = await store.listFinishedBefore(deps.now - retention.finishedRuns, deps.batch ?? 50);
  const outcome: RetirementOutcome = { retired: [], kept: [] };
  for (const runId of due) {
    let archive: { text: string; ttlMs: number } | undefined;
    if (retention.afterwards === "archive") {
      try {
        archive = { text: JSON.stringify(await deps.buildReport(runId)), ttlMs: retention.archiveFor };
      } catch (error) {
        outcome.kept.push({ runId, reason: `its report could not be built: ${describeError(error)}` });
        continue;
      }
    }
    if (await store.retireRun(runId, archive)) outcome.retired.push(runId);
  }
  return outcome;
}
