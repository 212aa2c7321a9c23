#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCommand } from "../../commands/definitions.js";
import { type ParsedCommandLine, parseCommandLine } from "../../commands/parse-command-line.js";
import { cliUsage, commandHelp } from "../../commands/usage.js";
import { createPinoLogger } from "../adapters/logging/pino-logger.js";
import { ERROR_HEADLINES, EXIT, exitCodeFor, refusalText } from "../app/error-messages.js";
import { type Environment, environmentSecrets, parseEnvironment } from "../config/environment.js";
import { DrError, describeError, isDrError } from "../domain/errors.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import { slackSettingsFromEnv } from "../slack/create-slack-app.js";
import { directoryClient } from "../slack/slack-directory.js";
import { SlackPeopleNames } from "../slack/slack-people-names.js";
import type { CliContext, CliIo } from "./commands/cli-command.js";
import { CLI_COMMAND_HANDLERS } from "./commands/cli-command-handlers.js";

/**
 * The `drbot` CLI: the same use cases as Slack, for when Slack is down. The command line is read
 * against the command table (commands/definitions.ts) and handed to that command's handler
 * (src/cli/commands/). Identity is explicit (`--as USER`) and checked against the same rules.
 * Exit codes: 0 ok, 1 refused, 2 bad usage or input, 3 invalid configuration or runbook, 4 a
 * service unavailable, 5 the run did not complete.
 */
export type { CliIo };

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ParsedCommandLine<"cli">;
  try {
    parsed = parseCommandLine(argv, "cli");
  } catch (error) {
    io.err(`${isDrError(error) ? ERROR_HEADLINES[error.code] : "Bad usage"}: ${describeError(error)}`);
    return EXIT.usage;
  }
  const { flags } = parsed;
  if (flags.version) {
    io.out(version());
    return EXIT.ok;
  }
  if (parsed.name === undefined || flags.help) {
    const command = parsed.name && parsed.name !== "help" ? findCommand(parsed.name, "cli") : undefined;
    io.out(command ? commandHelp(command, "cli") : cliUsage());
    return EXIT.ok;
  }
  const name = parsed.name;
  // The environment is read here, once, and passed down typed; a wrong variable stops drbot (exit 3).
  let env: Environment;
  try {
    env = parseEnvironment(io.env);
  } catch (error) {
    return reportError(error, flags, io);
  }
  // The tokens are known now; the runtime adds the passwords its configuration names.
  const secrets = environmentSecrets(env);
  const log = createPinoLogger({
    level: env.LOG_LEVEL,
    write: (line) => io.err(line.trimEnd()),
    secrets: () => secrets,
  }).child({ command: name });
  let runtime: Runtime | undefined;
  const ctx: CliContext = {
    cmd: parsed,
    io,
    emit: (json, text) => io.out(flags.json ? JSON.stringify(json) : text),
    files() {
      const configPath = flags.config ?? env.DRBOT_CONFIG;
      if (!configPath)
        throw new DrError("invalid_input", "no configuration: pass --config FILE or set DRBOT_CONFIG");
      return { configPath, runbooksDir: flags.runbooks ?? env.DRBOT_RUNBOOKS };
    },
    async runtime() {
      if (runtime) return runtime;
      runtime = await createRuntime({
        configPath: ctx.files().configPath,
        ...(flags.runbooks ? { runbooksDir: flags.runbooks } : {}),
        env,
        log,
        secrets,
        // Only the bot executes runs on its own; other commands drive theirs in the foreground.
        autoStart: name === "serve",
      });
      // Names in reports and `show` when the bot's token is at hand; IDs when not, or Slack is down.
      const slack = slackSettingsFromEnv(env);
      if (slack && name !== "serve")
        runtime.names.use(
          new SlackPeopleNames(
            directoryClient(slack.botToken, slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
            { log: log.child({ component: "slack-names" }), deadlineMs: 1_500 },
          ),
        );
      return runtime;
    },
  };
  try {
    return await CLI_COMMAND_HANDLERS[name](ctx);
  } catch (error) {
    if (!isDrError(error)) log.error("drbot hit an internal error", { operation: `cli.${name}`, err: error });
    return reportError(error, flags, io);
  } finally {
    await runtime
      ?.close()
      .catch((error: unknown) =>
        log.warn("could not close the runtime cleanly", { operation: "cli.close", err: error }),
      );
  }
}

/** Says what went wrong, in words (or JSON with --json), and gives the exit code for it. */
function reportError(error: unknown, flags: { json?: boolean | undefined }, io: CliIo): number {
  if (isDrError(error)) {
    if (flags.json)
      io.out(JSON.stringify({ ok: false, code: error.code, message: error.message, details: error.details }));
    else io.err(`${ERROR_HEADLINES[error.code]}: ${refusalText(error, "cli")}`);
    return exitCodeFor(error.code);
  }
  io.err(`drbot hit an internal error: ${describeError(error)}`);
  return EXIT.refused;
}

function version(): string {
  // Works from the source tree (src/cli) and the build (dist/src/cli): the nearest package.json up.
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file))
      return `drbot ${(JSON.parse(readFileSync(file, "utf8")) as { version: string }).version}`;
  }
  return "drbot (unknown version)";
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "");
if (invokedDirectly) {
  const code = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    terminal: {
      input: process.stdin,
      output: process.stdout,
      isTTY: process.stdin.isTTY === true && process.stdout.isTTY === true,
    },
  });
  process.exitCode = code;
}
