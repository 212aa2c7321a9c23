import { pauseOnFailedStep, takeOverRun } from "../domain/run-state/execute.js";
import { checkedStep } from "./evidence-gate.js";
import type { RunExecution } from "./run-execution.js";
import { isIdempotent } from "./step-kind.js";
import { observeStep } from "./step-runner.js";

/**
 * After a takeover: steps left `running` by the dead executor are asked whether their effect holds.
 * Holds → succeeded (observed). Does not hold → run again. Unknown → run again only if repeating is
 * harmless; otherwise the run pauses for a person. Returns false when the run paused, or when a
 * step's params did not parse again to the stored ones (the run is refused: x.evidenceRefusal).
 */
export async function reobserveInterrupted(x: RunExecution): Promise<boolean> {
  const { recorder, o } = x;
  const stranded = [...recorder.steps.values()].filter((s) => s.status === "running");
  if (stranded.length === 0) return true;
  if (recorder.run.state !== "interrupted") {
    // The takeover is a state transition like any other: its event says into which state and why,
    // so the audit trail and the surfaces see the run interrupted, not only "taken over".
    const inFlight = stranded.map((s) => s.id);
    await recorder.move((run, ctx) => takeOverRun(run, { owner: o.ownerId, inFlight }, ctx));
  }
  const unverifiable: string[] = [];
  for (const record of stranded) {
    // Observed with what its params parse to again; a step that fails that refuses the run.
    const step = checkedStep(x, x.planSteps.get(record.id)!, "reobserve");
    if (!step) return false;
    const kind = o.registry.get(step.kind);
    const observation = kind
      ? await observeStep(x.deps, kind, recorder.run, step, record, x.abort.signal)
      : { holds: "unknown" as const, evidence: `unknown step kind ${step.kind}` };
    const evidence = observation.evidence;
    if (observation.holds === true) {
      await recorder.saveStep(
        {
          ...record,
          status: "succeeded",
          endedAt: o.clock.now(),
          resolvedBy: "observed",
          output: `observed after takeover: ${evidence}`,
        },
        "step.observed",
        { holds: true, evidence },
      );
    } else if (observation.holds === false || (kind && isIdempotent(kind, step.params))) {
      await recorder.saveStep(
        {
          ...record,
          status: "not_started",
          resolvedBy: "observed",
          output: `observed after takeover: ${evidence}; running it again`,
        },
        "step.observed",
        { holds: observation.holds, evidence },
      );
    } else {
      unverifiable.push(step.id);
      await recorder.saveStep(
        {
          ...record,
          status: "failed",
          endedAt: o.clock.now(),
          resolvedBy: "observed",
          error: `interrupted, and whether it took effect is unknown (${evidence}); check by hand, then resume to repeat it or skip it`,
        },
        "step.observed",
        { holds: "unknown", evidence },
      );
    }
  }
  if (unverifiable.length === 0) return true;
  const reason = `interrupted step(s) need a person: ${unverifiable.join(", ")}`;
  await recorder.move((run, ctx) => pauseOnFailedStep(run, { reason }, ctx));
  return false;
}
