import { findCommand } from "../../../commands/definitions.js";
import { unknownCommand } from "../../../commands/parse-command-line.js";
import { cliUsage, commandHelp } from "../../../commands/usage.js";
import { EXIT } from "../../app/error-messages.js";
import { DrError } from "../../domain/errors.js";
import type { CliCommandHandler } from "./cli-command.js";

/** `drbot help [COMMAND]`: the commands, global flags and exit codes, or one command at length. */
export const showHelp: CliCommandHandler = async ({ cmd, io }) => {
  const asked = cmd.args[0];
  const command = asked ? findCommand(asked, "cli") : undefined;
  if (asked && !command) throw new DrError("invalid_input", unknownCommand(asked, "cli"));
  io.out(command ? commandHelp(command, "cli") : cliUsage());
  return EXIT.ok;
};
