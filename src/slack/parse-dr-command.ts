import { z } from "zod";
import { COMMANDS } from "../../commands/definitions.js";
import { DrError } from "../domain/errors.js";

/**
 * Parses the text after `/dr`: a subcommand, positional words and `--flags`, with "double" or
 * 'single' quotes for values with spaces (and the “curly” and ‘curly’ ones Slack's clients type in
 * their place). Nothing here is ever executed; values are checked by the use cases (names against
 * the configuration, run ids by pattern).
 */
export interface DrCommand {
  name: string;
  args: string[];
  reason?: string;
  backup?: string;
  window?: string;
  note?: string;
  dryRun: boolean;
}

const MAX_TEXT = 4000;
const FLAGS_WITH_VALUE = new Set(["reason", "backup", "window", "note"]);
const BOOLEAN_FLAGS = new Set(["dry-run"]);

const commandSchema = z.object({
  name: z.string(),
  args: z.array(z.string().max(200, "is at most 200 characters")).max(30, "at most 30 targets at once"),
  reason: z.string().max(500, "is at most 500 characters").optional(),
  backup: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
      "takes a backup name (lowercase letters, digits, '-', '.')",
    )
    .optional(),
  window: z.string().max(200, "is at most 200 characters").optional(),
  note: z.string().max(500, "is at most 500 characters").optional(),
  dryRun: z.boolean(),
});

/** A schema issue in the words of what was typed: "--reason is at most…", "target 3 is at most…". */
function describeIssue(issue: z.core.$ZodIssue): string {
  const [field, index] = issue.path;
  if (field === "args")
    return typeof index === "number" ? `target ${index + 1} ${issue.message}` : issue.message;
  return typeof field === "string" ? `--${field} ${issue.message}` : issue.message;
}

const CLOSING_QUOTE: Record<string, string> = { "“": "”", "‘": "’" };

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let quote: string | undefined;
  let inToken = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
      continue;
    }
    // A lone ’ is an apostrophe (don’t), so only ‘ opens a curly single quote.
    if (ch === '"' || ch === "'" || ch === "“" || ch === "”" || ch === "‘") {
      quote = CLOSING_QUOTE[ch] ?? ch;
      inToken = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = "";
      inToken = false;
      continue;
    }
    current += ch;
    inToken = true;
  }
  if (quote) throw new DrError("invalid_input", "a quote is not closed");
  if (inToken) tokens.push(current);
  return tokens;
}

export function parseDrCommand(text: string): DrCommand {
  if (text.length > MAX_TEXT)
    throw new DrError(
      "invalid_input",
      `that command is ${text.length} characters long; the limit is ${MAX_TEXT}`,
    );
  const tokens = tokenize(text.trim());
  const name = (tokens.shift() ?? "help").toLowerCase();
  const known = COMMANDS.find((c) => c.name === name && c.slack);
  if (!known) return { name: "help", args: [], dryRun: false };
  const raw: Record<string, unknown> = { name, args: [], dryRun: false };
  const args: string[] = [];
  while (tokens.length > 0) {
    const token = tokens.shift()!;
    if (!token.startsWith("--")) {
      args.push(token);
      continue;
    }
    const [flag, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOLEAN_FLAGS.has(flag)) {
      // "--dry-run=false" must not quietly mean a dry run, nor a real one.
      if (inline !== undefined) throw new DrError("invalid_input", `--${flag} takes no value`);
      raw.dryRun = true;
      continue;
    }
    if (!FLAGS_WITH_VALUE.has(flag))
      throw new DrError("invalid_input", `unknown flag --${flag.slice(0, 30)}; /dr help lists the flags`);
    // Two reasons or two backups: which one was meant is not for drbot to guess.
    if (raw[flag] !== undefined) throw new DrError("invalid_input", `--${flag} is given twice`);
    const value = inline ?? tokens.shift();
    if (value === undefined || value.startsWith("--"))
      throw new DrError("invalid_input", `--${flag} needs a value`);
    raw[flag] = value;
  }
  raw.args = args;
  const parsed = commandSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DrError("invalid_input", describeIssue(parsed.error.issues[0]!));
  }
  return parsed.data;
}

export function helpText(): string {
  const lines = ["*drbot* runs disaster recovery: plans, two-person approval, live progress.", ""];
  for (const c of COMMANDS.filter((c) => c.slack))
    lines.push(`\`/dr ${c.usage}\`  ${c.summary}${c.changesProduction ? " _(approval-gated)_" : ""}`);
  return lines.join("\n");
}
