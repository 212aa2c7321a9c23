import type { PlanStep, RtoTimes } from "./run.js";

/**
 * RTO split as in the seed's breakdown: detection (first failed check to the request), decision
 * (request to last approval), activation (execution of activation phases), validation (checks until
 * healthy). Phases not reached yet count up to `now` when they are under way.
 */
/** What each phase covers, in the words the summary and the report explain them with. */
export const RTO_PHASE_MEANING = {
  detection: "the first failed check or alert until the request",
  decision: "the request until the last approval",
  activation:
    "the run's steps until the first health or traffic check, without the time they waited for people",
  validation: "health and traffic checks (HTTP, DNS) after the switch, until the run ended",
} as const;

/** Step kinds that check health or traffic: once traffic has moved, their time is validation. */
const CHECK_KINDS: ReadonlySet<string> = new Set(["http"]);
/** Step kinds that move traffic. */
const SWITCH_KINDS: ReadonlySet<string> = new Set(["dns.switch"]);

/**
 * Each step's part of the RTO: its runbook phase's, except a health or traffic check that comes
 * after the plan's first traffic switch, which is validation whatever phase the runbook put it in
 * (the service is being proven healthy, not brought up). Validation starts with the first such step.
 */
export function withRtoPhases<S extends Pick<PlanStep, "kind" | "rtoPhase">>(steps: readonly S[]): S[] {
  const switched = steps.findIndex((s) => SWITCH_KINDS.has(s.kind));
  return steps.map((step, index) =>
    switched !== -1 && index > switched && CHECK_KINDS.has(step.kind) && step.rtoPhase !== "validation"
      ? { ...step, rtoPhase: "validation" }
      : step,
  );
}

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
