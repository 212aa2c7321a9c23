/**
 * One health probe of a site that serves: its API server, or one application's health check. `check` must
 * honour `signal` (aborted at the probe deadline); the watcher also stops waiting at the deadline,
 * so a probe that hangs anyway counts as failed in time. Expected failures are results, not throws.
 */
export interface Probe {
  target: string;
  /** The site it probes. */
  site: string;
  /** Applications a run would have to move when this probe fails. */
  applications: readonly string[];
  /** The run that moves them off this site: a failover from home, a failback from DR. */
  remedy: "failover" | "failback";
  check(signal: AbortSignal): Promise<{ ok: boolean; detail: string }>;
}
