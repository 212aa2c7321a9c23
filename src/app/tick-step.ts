import type { RunRecord, StepRecord } from "../domain/run.js";
import { tickStep } from "../domain/run-state/steps.js";
import type { AppContext } from "./app-context.js";
import { type ControlRequest, change, driveAndRead } from "./control-run.js";

/**
 * Ticks a checklist item, or approves an in-run gate (src/domain/run-state/steps.ts decides who may
 * and when). The tick is stored apart from the step record, so an executor writing the step cannot
 * lose it; ticking twice is harmless. The run is driven again to judge the step.
 */
export async function tick(
  ctx: AppContext,
  input: ControlRequest & { stepId: string; item: string },
): Promise<{ run: RunRecord; step: StepRecord }> {
  const ticked = await change(
    ctx,
    input,
    (actor) => (r, now, steps) => tickStep(r, { actor, stepId: input.stepId, item: input.item, steps }, now),
    { withSteps: true, proves: { action: "tick", step: input.stepId, item: input.item } },
  );
  const step = (await ctx.store.getSteps(ticked.id)).get(input.stepId);
  const run = await driveAndRead(ctx, ticked, "tick.drive");
  // The state machine refused unknown steps, so the record exists.
  return { run, step: step! };
}
