import { argument, rest } from "../../../commands/parse-command-line.js";
import { EXIT } from "../../app/error-messages.js";
import { isTerminal } from "../../domain/run.js";
import { actor, type CliCommandHandler, proven } from "./cli-command.js";
import { drive, driveInForeground, driveUnlessDetached, finish } from "./drive-run.js";

/** `drbot abort|resume|skip|tick`: operator controls of a run; the use cases decide who may. */

/** An executing run is stopped by its executor within a second; one nobody executes is stopped here. */
export const abortRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const { note } = ctx.cmd.flags;
  const run = await rt.service.abort({
    actor: actor(ctx),
    runId: argument(ctx.cmd, "RUN"),
    ...(note ? { note } : {}),
    ...proven(ctx),
  });
  if (isTerminal(run.state)) {
    ctx.emit(run, `${run.id}: ${run.state}`);
    return EXIT.ok;
  }
  const outcome = await driveInForeground(ctx, rt, run.id);
  if (!outcome.driven && outcome.reason === "held") {
    ctx.emit(
      { ...run, executor: outcome.heldBy },
      `${run.id}: abort requested; its executor (${outcome.heldBy}) stops it within a second`,
    );
    return EXIT.ok;
  }
  return finish(ctx, rt, (await rt.store.getRun(run.id)) ?? run);
};

export const resumeRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const run = await rt.service.resume({ actor: actor(ctx), runId: argument(ctx.cmd, "RUN"), ...proven(ctx) });
  return driveUnlessDetached(ctx, rt, run);
};

export const skipStep: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const run = await rt.service.skip({
    actor: actor(ctx),
    runId: argument(ctx.cmd, "RUN"),
    stepId: argument(ctx.cmd, "STEP"),
    reason: ctx.cmd.flags.reason ?? "",
    ...proven(ctx),
  });
  return driveUnlessDetached(ctx, rt, run);
};

/** Ticks each ITEM in turn; the run goes on (here, unless --detach) once its checklist is complete. */
export const tickItems: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const runId = argument(ctx.cmd, "RUN");
  const stepId = argument(ctx.cmd, "STEP");
  for (const item of rest(ctx.cmd))
    await rt.service.tick({ actor: actor(ctx), runId, stepId, item, ...proven(ctx) });
  return ctx.cmd.flags.detach ? EXIT.ok : finish(ctx, rt, await drive(ctx, rt, runId));
};
