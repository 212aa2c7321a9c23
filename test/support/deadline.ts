import { expect } from "vitest";

/**
 * Upper bounds on wall-clock time in tests prove that a deadline holds (a hung cluster does not
 * stall a call for its 30 s timeout), not how fast drbot is: speed has targets in bench/. Each bound
 * is the deadline the code promises plus this slack, which a loaded 2-core machine survives (other
 * test processes, garbage collection, a cold import): wide enough never to fail for load, narrow
 * enough that missing the deadline still fails.
 */
export const LOADED_MACHINE_SLACK_MS = 2_000;

/** `elapsedMs` is within `deadlineMs` plus the slack; the message names what was timed. */
export function expectWithinDeadline(elapsedMs: number, deadlineMs: number, what: string): void {
  expect(
    elapsedMs,
    `${what}: ${Math.round(elapsedMs)} ms against a ${deadlineMs} ms deadline + ${LOADED_MACHINE_SLACK_MS} ms slack`,
  ).toBeLessThanOrEqual(deadlineMs + LOADED_MACHINE_SLACK_MS);
}
