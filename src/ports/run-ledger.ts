import type { LedgerEntry } from "../domain/run-ledger.js";

export type { LedgerEntry } from "../domain/run-ledger.js";

/**
 * Where a run writes down the changes it makes to sites before making them (src/domain/run-ledger.ts),
 * for `k8s.verify-clean` and the report.
 *
 * Contract:
 * - `record` is idempotent: an entry for a site, change and object already recorded keeps its first
 *   record (the state before the run touched the object), so a retried or resumed step never
 *   overwrites "before" with its own effect. Entries recorded at the same time by parallel steps of
 *   one run are all kept.
 * - Both throw when the store does not answer within its own deadline; a step that cannot record
 *   makes no change.
 */
export interface RunLedger {
  record(runId: string, entries: readonly LedgerEntry[]): Promise<void>;
  /** Every entry of the run, in the order first recorded. */
  read(runId: string): Promise<LedgerEntry[]>;
}
