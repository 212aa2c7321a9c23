import { argument, rest } from "../../../commands/parse-command-line.js";
import { EXIT } from "../../app/error-messages.js";
import { planText } from "../render-text.js";
import { actor, type CliCommandHandler, proven } from "./cli-command.js";
import { drive, finish } from "./drive-run.js";

/** `drbot run RUNBOOK [tier|app…]`: requests a run; one that needs no approval is executed here. */
export const requestRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const { reason, backup, mode, idempotencyKey, detach, withShared } = ctx.cmd.flags;
  const outcome = await rt.service.request({
    actor: actor(ctx),
    runbook: argument(ctx.cmd, "RUNBOOK"),
    targets: rest(ctx.cmd),
    reason: reason ?? "",
    source: "cli",
    ...(backup ? { pins: { backup } } : {}),
    ...(idempotencyKey ? { dedupeKey: `cli:${idempotencyKey}` } : {}),
    ...(mode ? { mode } : {}),
    ...(withShared ? { withShared: true } : {}),
    ...proven(ctx),
  });
  const run = outcome.run;
  if (run.state === "approved" && !detach) return finish(ctx, rt, await drive(ctx, rt, run.id));
  ctx.emit(
    { ...run, duplicate: outcome.duplicate },
    `${outcome.duplicate ? "already requested: " : "requested: "}${run.id} (${run.state}); plan ${run.plan.hash}; needs ${run.requiredApprovals} approval(s)\n${planText(run.plan)}`,
  );
  return EXIT.ok;
};
