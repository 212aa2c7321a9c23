import { EXIT } from "../../app/error-messages.js";
import { DrError } from "../../domain/errors.js";
import type { RunRecord } from "../../domain/run.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import { runText } from "../render-text.js";
import type { CliContext } from "./cli-command.js";

/**
 * Executes a run in this process until it ends or waits for a person (a command that starts or
 * resumes a run drives it in the foreground unless --detach leaves it to `drbot serve`).
 */
export async function drive(rt: Runtime, runId: string): Promise<RunRecord> {
  const outcome = await rt.engine.drive(runId);
  if (!outcome.driven && outcome.reason === "held") {
    throw new DrError(
      "conflict",
      `run ${runId} is being executed by ${outcome.heldBy}; follow it with \`drbot show ${runId}\``,
    );
  }
  const run = await rt.store.getRun(runId);
  if (!run) throw new DrError("unknown_run", `run ${runId} disappeared`);
  return run;
}

/** Prints where the run got to; exit 0 when it completed or waits for a person, 5 otherwise. */
export async function finish(ctx: CliContext, rt: Runtime, run: RunRecord): Promise<number> {
  const steps = await rt.store.getSteps(run.id);
  ctx.io.out(
    ctx.cmd.flags.json
      ? JSON.stringify({ run, steps: Object.fromEntries(steps) })
      : runText(run, steps, rt.clock.now()),
  );
  return run.state === "completed" ||
    run.state === "completed_with_exceptions" ||
    run.state === "waiting_manual"
    ? EXIT.ok
    : EXIT.runNotCompleted;
}

/** Drives the run unless --detach, then finishes; with --detach prints the run's state. */
export async function driveUnlessDetached(ctx: CliContext, rt: Runtime, run: RunRecord): Promise<number> {
  if (!ctx.cmd.flags.detach) return finish(ctx, rt, await drive(rt, run.id));
  ctx.emit(run, `${run.id}: ${run.state}`);
  return EXIT.ok;
}
