import { argument } from "../../../commands/parse-command-line.js";
import { EXIT } from "../../app/error-messages.js";
import { actor, type CliCommandHandler, proven } from "./cli-command.js";
import { drive, finish } from "./drive-run.js";

/** `drbot approve RUN --plan HASH`: the last approval starts the run, executed here unless --detach. */
export const approveRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const { plan, acceptDataLoss, acceptNotReady, detach } = ctx.cmd.flags;
  const { run, started } = await rt.service.approve({
    actor: actor(ctx),
    runId: argument(ctx.cmd, "RUN"),
    planHash: plan ?? "",
    acceptsDataLoss: acceptDataLoss === true,
    acceptsNotReady: acceptNotReady === true,
    ...proven(ctx),
  });
  if (started && !detach) return finish(ctx, rt, await drive(ctx, rt, run.id));
  ctx.emit(
    run,
    `${run.id}: ${run.approvals.length}/${run.requiredApprovals} approvals; ${run.state}${run.stateReason ? ` (${run.stateReason})` : ""}`,
  );
  return EXIT.ok;
};

/** `drbot reject RUN`: ends the request. */
export const rejectRun: CliCommandHandler = async (ctx) => {
  const { note } = ctx.cmd.flags;
  const run = await (await ctx.runtime()).service.reject({
    actor: actor(ctx),
    runId: argument(ctx.cmd, "RUN"),
    ...(note ? { note } : {}),
    ...proven(ctx),
  });
  ctx.emit(run, `${run.id}: ${run.state}`);
  return EXIT.ok;
};
