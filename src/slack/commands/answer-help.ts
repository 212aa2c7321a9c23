import { findCommand } from "../../../commands/definitions.js";
import { commandHelp, slackHelp } from "../../../commands/usage.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/** `/dr help [COMMAND]`: every command a line, or one at length (flags, who may run it). */
export const answerHelp: SlackCommandHandler = async (cmd, inv) => {
  const command = cmd.args[0] ? findCommand(cmd.args[0].toLowerCase(), "slack") : undefined;
  await ephemeral(inv.respond, command ? commandHelp(command, "slack") : slackHelp());
};
