import {
  type ApplicationReadiness,
  type ReadinessReport,
  type ReadinessVerdict,
  worstVerdict,
} from "./readiness.js";

/**
 * A scope's readiness in one round, as a run's report keeps it (before and after a drill): the
 * scope's applications only, with when the round read them.
 */
export interface ScopeReadiness {
  /** Epoch ms the round started. */
  readAt: number;
  verdict: ReadinessVerdict;
  applications: ApplicationReadiness[];
  /** Scope applications the round did not cover (added to the configuration since). */
  missing: string[];
}

export function scopeReadiness(report: ReadinessReport, applications: readonly string[]): ScopeReadiness {
  const covered = report.applications.filter((a) => applications.includes(a.application));
  const missing = applications.filter((name) => !covered.some((a) => a.application === name));
  return {
    readAt: report.readAt,
    verdict: worstVerdict([...covered.map((a) => a.verdict), ...missing.map(() => "unknown" as const)]),
    applications: covered,
    missing,
  };
}

/** A run's report: its scope's readiness in the round before it and in the first round after it ended. */
export interface RunReadiness {
  before?: ScopeReadiness;
  after?: ScopeReadiness;
}

/** A report (src/domain/run-report.ts) of a failover, failback or drill, with its scope's readiness. */
export type WithReadiness<T> = T & { readiness?: RunReadiness };
