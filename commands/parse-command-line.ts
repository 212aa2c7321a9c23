import type { z } from "zod";
import { DrError } from "../src/domain/errors.js";
import { closestNames } from "./closest-command.js";
import {
  type CliCommandName,
  type CommandDefinition,
  commandsOn,
  FLAGS,
  type FlagName,
  findCommand,
  flagDefinition,
  flagsOf,
  type SlackCommandName,
  type Surface,
} from "./definitions.js";
import { commandUsage } from "./usage.js";
import { ARG_LIMITS, VALUE_KINDS, type ValueOf } from "./value-kinds.js";

/**
 * Reads a command line, already split into words, against the command table: the same rules in
 * Slack and the CLI. Positional words and `--flag value`, `--flag=value` or `--switch`, anywhere
 * after the command (on the CLI, the global flags before it too). Everything is refused in plain
 * words, as DrError("invalid_input"): a flag unknown or not taken by this command, a switch given a
 * value, a flag without its value or given twice, a value of the wrong kind, a missing argument or
 * flag, too many arguments. Nothing here runs anything; names are checked by the use cases.
 */

/** `--dry-run` → `dryRun`. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

export type FlagValues = {
  -readonly [F in FlagName as CamelCase<F>]?: ValueOf<(typeof FLAGS)[F]["kind"]>;
};

export interface ParsedCommand<Name extends string = string> {
  name: Name;
  /** Positional words, in order; as many as the command's arguments allow. */
  args: string[];
  flags: FlagValues;
}

/** The names a surface offers. */
export type CommandNameOn<S extends Surface> = S extends "slack" ? SlackCommandName : CliCommandName;

/** A command line: the command, or none (on the CLI, when only global flags such as --version are given). */
export type ParsedCommandLine<S extends Surface> =
  | ParsedCommand<CommandNameOn<S>>
  | { name: undefined; args: []; flags: FlagValues };

const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Where the person reads how to use a command: `/dr help` or `drbot help`. */
const HELP: Record<Surface, string> = { slack: "/dr help", cli: "drbot help" };

const PREFIX: Record<Surface, string> = { slack: "/dr", cli: "drbot" };

/** Flags are `--name` (and, on the CLI, `-h`); anything else, `-rf` included, is a word. */
const FLAG_WORD: Record<Surface, RegExp> = { slack: /^--[^-]/, cli: /^--[^-]|^-[a-zA-Z]$/ };

/**
 * Parses `words` as `COMMAND ARG… --flag…` for `surface`. In Slack the first word is the command;
 * on the CLI it is the first word that is not a flag or a flag's value. A name the surface does not
 * offer is refused.
 */
export function parseCommandLine<S extends Surface>(
  words: readonly string[],
  surface: S,
): ParsedCommandLine<S> {
  const rest = [...words];
  let command: CommandDefinition | undefined;
  if (surface === "slack" && rest.length > 0) command = commandNamed(rest.shift()!.toLowerCase(), surface);
  const positionals: string[] = [];
  const given = new Map<FlagName, string | true>();
  while (rest.length > 0) {
    const word = rest.shift()!;
    if (!FLAG_WORD[surface].test(word)) {
      if (!command) command = commandNamed(word, surface);
      else positionals.push(word);
      continue;
    }
    const [spelled, inline] = word.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flagNamed(spelled, surface);
    if (given.has(name)) throw invalid(`--${name} is given twice`);
    if (FLAGS[name].kind === "switch") {
      // "--dry-run=false" must not quietly mean a dry run, nor a real one.
      if (inline !== undefined) throw invalid(`--${name} takes no value`);
      given.set(name, true);
      continue;
    }
    const value = inline ?? rest.shift();
    if (value === undefined || (inline === undefined && value.startsWith("--")))
      throw invalid(`--${name} needs a value`);
    given.set(name, value);
  }
  if (!command) {
    const stray = [...given.keys()].find((f) => !flagDefinition(f).global);
    if (stray) throw invalid(`--${stray} needs a command; ${HELP[surface]} lists them`);
    return { name: undefined, args: [], flags: readFlags(given) };
  }
  const accepted = flagsOf(command, surface);
  for (const flag of given.keys())
    if (!accepted.includes(flag))
      throw invalid(`--${flag} does not apply to ${commandUsage(command, surface)}`);
  const flags = readFlags(given);
  for (const flag of accepted) {
    const required = flagDefinition(flag).required;
    if (required && !given.has(flag)) throw invalid(required);
  }
  // findCommand(…, surface) only finds commands the surface offers.
  const name = command.name as CommandNameOn<S>;
  return { name, args: readArgs(command, positionals, surface), flags };
}

function commandNamed(word: string, surface: Surface): CommandDefinition {
  const command = findCommand(word, surface);
  if (!command) throw invalid(unknownCommand(word, surface));
  return command;
}

/**
 * What a person who mistyped a command reads: the command they most likely meant with its usage
 * line, the other surface's command when that is what they typed, or the names to choose from;
 * never the whole help, which buries the one line they need.
 */
export function unknownCommand(word: string, surface: Surface): string {
  const typed = `\`${word.slice(0, 40).replace(/`/g, "'")}\``;
  const offered = commandsOn(surface).map((c) => c.name);
  const [only, ...others] = closestNames(word, offered);
  if (only && others.length === 0)
    return `unknown command ${typed}, did you mean \`${only}\`? usage: ${commandUsage(findCommand(only, surface)!, surface)}`;
  if (only)
    return `unknown command ${typed}, did you mean ${[only, ...others].map((n) => `\`${n}\``).join(" or ")}? ${HELP[surface]} says what each does`;
  const other: Surface = surface === "slack" ? "cli" : "slack";
  if (findCommand(word.toLowerCase(), other))
    return `${typed} is not a ${PREFIX[surface]} command: it is \`${PREFIX[other]} ${word.toLowerCase()}\` ${surface === "slack" ? "on the drbot CLI" : "in Slack"} (${HELP[surface]} lists the commands here)`;
  return `unknown command ${typed}; the commands are ${offered.join(", ")} (${HELP[surface]} says what each does)`;
}

function flagNamed(spelled: string, surface: Surface): FlagName {
  const name =
    spelled in FLAGS
      ? (spelled as FlagName)
      : (Object.keys(FLAGS) as FlagName[]).find((f) => flagDefinition(f).short === spelled);
  if (!name) throw invalid(`unknown flag --${spelled.slice(0, 30)}; ${HELP[surface]} lists the flags`);
  return name;
}

function readFlags(given: ReadonlyMap<FlagName, string | true>): FlagValues {
  const values: Record<string, unknown> = {};
  for (const [flag, raw] of given) {
    const parsed = (VALUE_KINDS[FLAGS[flag].kind] as z.ZodType).safeParse(raw);
    if (!parsed.success) throw invalid(`--${flag} ${parsed.error.issues[0]?.message ?? "is not valid"}`);
    values[camelCase(flag)] = parsed.data;
  }
  return values as FlagValues;
}

function readArgs(command: CommandDefinition, words: string[], surface: Surface): string[] {
  const usage = () => `usage: ${commandUsage(command, surface)}`;
  for (const [i, arg] of command.args.entries())
    if (arg.required && words[i] === undefined) throw invalid(`${arg.name} is missing; ${usage()}`);
  const last = command.args.length - 1;
  const repeated = command.args[last]?.repeated === true;
  const noun = command.args[last]?.noun ?? "word";
  if (!repeated && words.length > command.args.length)
    throw invalid(`too many arguments: "${words[command.args.length]!.slice(0, 40)}"; ${usage()}`);
  if (repeated && words.length - last > ARG_LIMITS.count)
    throw invalid(`at most ${ARG_LIMITS.count} ${noun}s at once`);
  const long = words.findIndex((w) => w.length > ARG_LIMITS.length);
  if (long >= 0) {
    const what =
      repeated && long >= last ? `${noun} ${long - last + 1}` : (command.args[long]?.name ?? "an argument");
    throw invalid(`${what} is at most ${ARG_LIMITS.length} characters`);
  }
  return words;
}

const invalid = (message: string) => new DrError("invalid_input", message);

/**
 * A required argument of a parsed command, by its name in the table ("RUN", "STEP"); the parser has
 * refused the command line already when it is missing. Repeated arguments: `rest`.
 */
export function argument(cmd: ParsedCommand, name: string): string {
  const index = findCommand(cmd.name)?.args.findIndex((a) => a.name === name) ?? -1;
  const value = index >= 0 ? cmd.args[index] : undefined;
  if (value === undefined) throw invalid(`${name} is missing`);
  return value;
}

/** The words of a command's last, repeated argument (targets, checklist items). */
export function rest(cmd: ParsedCommand): string[] {
  const args = findCommand(cmd.name)?.args ?? [];
  return args.at(-1)?.repeated ? cmd.args.slice(args.length - 1) : [];
}
