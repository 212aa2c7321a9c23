import type { CliCommandName } from "../../../commands/definitions.js";
import type { ParsedCommand } from "../../../commands/parse-command-line.js";
import { ExecaCommandRunner } from "../../adapters/execa/execa-command-runner.js";
import { SshKeygenSigner } from "../../adapters/ssh/ssh-keygen-signer.js";
import type { NamedVariables } from "../../config/environment.js";
import { DrError } from "../../domain/errors.js";
import type { Witness } from "../../ports/evidence.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import type { Terminal } from "../ask-typed.js";

export interface CliIo {
  out(text: string): void;
  /** Messages for the person at the terminal, and the log's JSON lines. */
  err(text: string): void;
  /** The process's environment, parsed once by main (src/config/environment.ts) and passed down typed. */
  env: NamedVariables;
  /** The person's terminal, where a real failover or failback is confirmed; absent: not a terminal. */
  terminal?: Terminal;
}

/** What every `drbot` command handler gets: the parsed command line, the terminal, the runtime. */
export interface CliContext {
  cmd: ParsedCommand<CliCommandName>;
  io: CliIo;
  /** Opened on first use (configuration, runbooks, Redis) and closed by main when the command ends. */
  runtime(): Promise<Runtime>;
  /** The configuration file and runbook directory, for commands that read files only. */
  files(): { configPath: string; runbooksDir: string };
  /** Prints `json` with --json, else `text`. */
  emit(json: unknown, text: string): void;
}

/** Returns the exit code (src/app/error-messages.ts EXIT); refusals are thrown as DrError. */
export type CliCommandHandler = (ctx: CliContext) => Promise<number>;

/** One handler per command the table offers on the CLI; the compiler refuses a missing or extra one. */
export type CliCommandHandlers = Record<CliCommandName, CliCommandHandler>;

/**
 * The proof of what the person does: their own SSH key signs it (`--key`). Without a key nothing is
 * signed, and the use case refuses the action, audited, as unproven: `--as` alone only names a person.
 */
export function proven(ctx: CliContext): { witness?: Witness } {
  const key = ctx.cmd.flags.key;
  if (!key) return {};
  return { witness: new SshKeygenSigner(new ExecaCommandRunner({ environment: ctx.io.env }), key) };
}

/** Who is acting (`--as`); the parser refuses a person's command without it. */
export function actor(ctx: CliContext): string {
  const as = ctx.cmd.flags.as;
  if (!as) throw new DrError("invalid_input", "say who you are: --as USER");
  return as;
}
