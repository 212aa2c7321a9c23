/**
 * One health probe of the primary: its API server, or one application's health check. `check` must
 * honour `signal` (aborted at the probe deadline); the watcher also stops waiting at the deadline,
 * so a probe that hangs anyway counts as failed in time. Expected failures are results, not throws.
 */
export interface Probe {
  target: string;
  /** Applications a failover would have to move when this probe fails. */
  applications: readonly string[];
  check(signal: AbortSignal): Promise<{ ok: boolean; detail: string }>;
}
