import type { StepRecord, StepStatus } from "../domain/run.js";

/**
 * Step records a Redis failover lost. Replication is asynchronous: a write the old master
 * acknowledged just before Sentinel promoted its replica (a SENTINEL FAILOVER, a master killed
 * mid-run) may never reach the new master, and the store then reads a step this executor finished
 * as not started or still running. The executor knows better: while it holds the lease nobody else
 * executes the run, so a record it wrote in this pass that the store shows as an earlier point of
 * the same step is a lost write, and written again. Left as read, the run would pause with its
 * steps "not able to start", or the next pass would run a step again that already took effect.
 *
 * Earlier means: fewer attempts, or the same attempt at an earlier status (not started, then
 * running, then waiting for a person, then finished). What a person changed in the meantime (a
 * skip finishes a step) is never earlier, and is kept.
 */
const ORDER: Record<StepStatus, number> = {
  not_started: 0,
  running: 1,
  waiting: 2,
  succeeded: 3,
  failed: 3,
  timed_out: 3,
  skipped: 3,
};

export function lostStepWrites(
  stored: ReadonlyMap<string, StepRecord>,
  written: ReadonlyMap<string, StepRecord>,
): StepRecord[] {
  const lost: StepRecord[] = [];
  for (const [id, mine] of written) {
    const now = stored.get(id);
    if (!now || now.attempts < mine.attempts) lost.push(mine);
    else if (now.attempts === mine.attempts && ORDER[now.status] < ORDER[mine.status]) lost.push(mine);
  }
  return lost;
}
