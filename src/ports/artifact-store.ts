/**
 * Run artifacts: what a step records for later steps and the run's report (for example the snapshots
 * k8s.snapshot takes and k8s.diff compares), as text under a key within one run.
 *
 * Contract: `put` overwrites (idempotent for the same value); `get` resolves undefined for a key never
 * written or expired. Both throw when the store does not answer within its own deadline.
 */
export interface ArtifactStore {
  put(runId: string, key: string, value: string): Promise<void>;
  get(runId: string, key: string): Promise<string | undefined>;
}
