import type { PlanStep } from "../domain/run.js";
import type { RunExecution } from "./run-execution.js";
import type { AnyStepKind } from "./step-kind.js";
import type { StepAttemptOutcome } from "./step-runner.js";

/** How long a step that cannot be repeated waits for a replica to confirm its running mark. */
export const REPLICA_ACK_MS = 2_000;

/**
 * Before a step that cannot be repeated, its running mark must survive a Redis failover: otherwise
 * the promoted replica may not have it, and the next executor sees the step as never started and
 * runs it again. So the mark is acknowledged by a replica (WAIT 1 within REPLICA_ACK_MS) before the
 * step starts. When no replica confirms it, the attempt fails without running the step (retried as
 * the runbook says, then the run goes where its onFailure says: by default it pauses for a person,
 * with the reason): a replica that is connected but slow, and a replica the deployment has (Sentinel,
 * or `redis.expectReplica`) that is not connected at all, are the same risk, since Sentinel may
 * still promote a replica that missed the mark. Only when no replica is expected (a single Redis,
 * or `redis.expectReplica: false` once every replica is lost for good) is the master alone taken
 * as durable, and the step goes on.
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
  if (replication === "replicated" || replication === "no_replica") return undefined;
  const why =
    replication === "replica_missing"
      ? `Redis is deployed with a replica but none was connected within ${REPLICA_ACK_MS} ms`
      : `Redis's replica did not confirm the step's running mark within ${REPLICA_ACK_MS} ms`;
  return {
    status: "failed",
    output: "",
    error: `not started: ${why}, and this step cannot be repeated if a failover lost the mark (once a replica is back, resume; if none can come back, set redis.expectReplica: false)`,
  };
}
