import type { RunRecord } from "../../src/domain/run.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { waitFor } from "./wait-for.js";

/**
 * Requests the shipped drill of payments as U0ONCALL from the CLI, approves it as U0A1 and, once
 * the run waits on its pre-test checklist, ticks every item of it: the drill then runs on by itself.
 */
export async function startShippedDrill(rt: Runtime, reason: string): Promise<RunRecord> {
  const { run } = await rt.service.request({
    actor: "U0ONCALL",
    runbook: "drill",
    targets: ["payments"],
    reason,
    source: "cli",
  });
  await rt.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
  await waitFor(async () => (await rt.store.getRun(run.id))?.state === "waiting_manual", {
    timeoutMs: 30_000,
    description: "the pre-test checklist",
  });
  const items = run.plan.steps.find((s) => s.id === "pre-test-checklist")!.params.items as string[];
  for (const item of items)
    await rt.service.tick({ actor: "U0A1", runId: run.id, stepId: "pre-test-checklist", item });
  return run;
}
