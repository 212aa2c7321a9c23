import { argument, rest } from "../../../commands/parse-command-line.js";
import { requestTargets } from "../../../commands/scope-words.js";
import { EXIT } from "../../app/error-messages.js";
import { planText } from "../render-text.js";
import { actor, type CliCommandHandler, proven } from "./cli-command.js";
import { confirmOnTerminal } from "./confirm-run.js";
import { drive, finish } from "./drive-run.js";

/**
 * `drbot run RUNBOOK [tier|app…]`: requests a run; one that needs no approval is executed here. A
 * real failover or failback is confirmed on the terminal first (`--yes` for scripts).
 */
export const requestRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const { reason, backup, mode, idempotencyKey, detach, withShared, yes } = ctx.cmd.flags;
  const runbook = rt.service.runbook(argument(ctx.cmd, "RUNBOOK"));
  const targets = requestTargets(
    runbook.kind,
    rest(ctx.cmd),
    rt.config.applications[0]?.name ?? "payments",
    (scope) =>
      `drbot run ${runbook.name} ${scope}${runbook.kind === "drill" ? "" : ' --reason "…"'} --as USER`,
  );
  const kind = runbook.kind;
  const realMode = mode ?? (kind === "drill" ? "drill" : "real");
  // A real failover or failback is confirmed first, as in Slack: the person types the scope's name.
  if ((kind === "failover" || kind === "failback") && realMode === "real" && !yes)
    await confirmOnTerminal(ctx, rt, {
      kind,
      actor: actor(ctx),
      runbook: runbook.name,
      targets,
      reason: reason ?? "",
      mode: realMode,
      withShared: withShared === true,
      ...(backup ? { pins: { backup } } : {}),
    });
  const outcome = await rt.service.request({
    actor: actor(ctx),
    runbook: runbook.name,
    targets,
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
