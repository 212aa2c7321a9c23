import { argument } from "../../../commands/parse-command-line.js";
import { ephemeral, type SlackCommandHandler, stateWords } from "./slack-command.js";

/** `/dr abort RUN`, `/dr resume RUN`, `/dr skip RUN STEP --reason "…"`: the use cases decide who may. */

export const abortRun: SlackCommandHandler = async (cmd, inv, deps) => {
  const note = cmd.flags.note;
  const run = await deps.service.abort({
    actor: inv.actor,
    runId: argument(cmd, "RUN"),
    ...(note ? { note } : {}),
    witness: inv.witness,
  });
  await ephemeral(inv.respond, `Abort of \`${run.id}\` requested; it is ${stateWords(run.state)}.`);
};

export const resumeRun: SlackCommandHandler = async (cmd, inv, deps) => {
  const run = await deps.service.resume({
    actor: inv.actor,
    runId: argument(cmd, "RUN"),
    witness: inv.witness,
  });
  await ephemeral(inv.respond, `\`${run.id}\` resumed.`);
};

export const skipStep: SlackCommandHandler = async (cmd, inv, deps) => {
  const run = await deps.service.skip({
    actor: inv.actor,
    runId: argument(cmd, "RUN"),
    stepId: argument(cmd, "STEP"),
    reason: cmd.flags.reason ?? "",
    witness: inv.witness,
  });
  await ephemeral(inv.respond, `Step skipped; \`${run.id}\` is ${stateWords(run.state)}.`);
};
