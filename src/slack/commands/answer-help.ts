import { findCommand } from "../../../commands/definitions.js";
import { unknownCommand } from "../../../commands/parse-command-line.js";
import { commandHelp, slackHelp } from "../../../commands/usage.js";
import { DrError } from "../../domain/errors.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/** `/dr help [COMMAND]`: every command a line, or one at length (flags, who may run it). */
export const answerHelp: SlackCommandHandler = async (cmd, inv) => {
  const asked = cmd.args[0]?.toLowerCase();
  const command = asked ? findCommand(asked, "slack") : undefined;
  // Help for a command that does not exist is refused like the command itself: the closest one.
  if (asked && !command) throw new DrError("invalid_input", unknownCommand(asked, "slack"));
  await ephemeral(inv.respond, command ? commandHelp(command, "slack") : slackHelp());
};
