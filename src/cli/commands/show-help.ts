import { findCommand } from "../../../commands/definitions.js";
import { cliUsage, commandHelp } from "../../../commands/usage.js";
import { EXIT } from "../../app/error-messages.js";
import type { CliCommandHandler } from "./cli-command.js";

/** `drbot help [COMMAND]`: the commands, global flags and exit codes, or one command at length. */
export const showHelp: CliCommandHandler = async ({ cmd, io }) => {
  const command = cmd.args[0] ? findCommand(cmd.args[0], "cli") : undefined;
  io.out(command ? commandHelp(command, "cli") : cliUsage());
  return EXIT.ok;
};
