import { argument } from "../../../commands/parse-command-line.js";
import { runDetailText } from "../views/run-detail.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/** `/dr show RUN`: approvals, decisions, skips, steps and a readable timeline, to the person alone. */
export const showRun: SlackCommandHandler = async (cmd, inv, deps) => {
  const { run, steps, events } = await deps.service.show(argument(cmd, "RUN"));
  await ephemeral(inv.respond, runDetailText(run, steps, events, deps.clock.now()));
};
