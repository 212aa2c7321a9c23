import type { RtoTimes } from "./run.js";

/**
 * RTO split as in the seed's breakdown: detection (first failed check to the request), decision
 * (request to last approval), activation (execution of activation phases), validation (checks until
 * healthy). Phases not reached yet count up to `now` when they are under way.
 */
export interface RtoMeasurement {
  detectionMs: number;
  decisionMs: number | undefined;
  activationMs: number | undefined;
  validationMs: number | undefined;
  totalMs: number;
  targetMs: number;
  remainingMs: number;
  met: boolean | undefined;
  finished: boolean;
}

export function measureRto(times: RtoTimes, targetMs: number, now: number): RtoMeasurement {
  const start = times.detectedAt ?? times.requestedAt;
  const detectionMs = times.detectedAt !== undefined ? Math.max(0, times.requestedAt - times.detectedAt) : 0;
  const span = (from: number | undefined, to: number | undefined) =>
    from === undefined ? undefined : Math.max(0, (to ?? now) - from);
  const decisionMs = span(times.requestedAt, times.approvedAt);
  const activationMs = span(times.activationStartedAt, times.activationEndedAt);
  const validationMs =
    times.activationEndedAt !== undefined
      ? span(times.activationEndedAt, times.validationEndedAt)
      : undefined;
  const finished = times.validationEndedAt !== undefined;
  const end = times.validationEndedAt ?? now;
  const totalMs = Math.max(0, end - start);
  return {
    detectionMs,
    decisionMs,
    activationMs,
    validationMs,
    totalMs,
    targetMs,
    remainingMs: targetMs - totalMs,
    met: finished ? totalMs <= targetMs : undefined,
    finished,
  };
}
