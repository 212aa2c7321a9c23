import type { ReadinessReport } from "../domain/readiness/readiness.js";

/**
 * The latest readiness round, as the watch leader last made it and kept it (src/app). Reading it
 * never runs a check: `/dr status`, the approval card and App Home show what is there, with its
 * age, and never wait on the sites for it.
 */
export interface ReadinessSource {
  /**
   * Undefined until a first round has been kept. Rejects (DrError "unavailable" or "timeout") when
   * the store cannot be read within its deadline, so a reader says "could not be read" rather than
   * "not yet assessed".
   */
  latest(): Promise<ReadinessReport | undefined>;
}

/**
 * One readiness round over every application, on both sites, bounded by the signal (the round's
 * deadline): a check that has not read by then gives an `unknown` finding saying so, never a hang.
 */
export type AssessReadiness = (options: { signal: AbortSignal }) => Promise<ReadinessReport>;
