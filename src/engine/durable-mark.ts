import type { PlanStep } from "../domain/run.js";
import type { RunExecution } from "./run-execution.js";
import type { AnyStepKind } from "./step-kind.js";
import type { StepAttemptOutcome } from "./step-runner.js";

/** How long a step that cannot be repeated waits for a replica to confirm its running mark. */
export const REPLICA_ACK_MS = 2_000;

/**
 * Before a step that cannot be repeated, its running mark must survive a Redis failover: otherwise
 * the promoted replica may not have it, and the next executor sees the step as never started and
 * runs it again. So when Redis has a replica, the mark is acknowledged by one (WAIT 1 within
 * REPLICA_ACK_MS) before the step starts; a replica that does not confirm in time fails the
 * attempt without running it (retried as the runbook says, then the run pauses for a person).
 * Without a replica (a single Redis, or the other site's replica lost with its site) the mark is as
 * durable as Redis itself and the step goes on: there is nothing to fail over to.
 *
 * Undefined when the step may start; the failed attempt's outcome otherwise.
 */
export async function unconfirmedRunningMark(
  x: RunExecution,
  kind: AnyStepKind,
  step: PlanStep,
): Promise<StepAttemptOutcome | undefined> {
  if (kind.isIdempotent(step.params)) return undefined;
  const replication = await x.lease.read(() => x.o.store.awaitReplication(REPLICA_ACK_MS));
  if (replication !== "not_replicated") return undefined;
  return {
    status: "failed",
    output: "",
    error: `not started: Redis's replica did not confirm the step's running mark within ${REPLICA_ACK_MS} ms, and this step cannot be repeated if a failover lost the mark`,
  };
}
