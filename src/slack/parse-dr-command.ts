import { z } from "zod";
import { COMMANDS } from "../../commands/definitions.js";
import { DrError } from "../domain/errors.js";

/**
 * Parses the text after `/dr`: a subcommand, positional words and `--flags`, with "double" or
 * 'single' quotes for values with spaces. Nothing here is ever executed; values are checked by the
 * use cases (names against the configuration, run ids by pattern).
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
  args: z.array(z.string().max(200)).max(30),
  reason: z.string().max(500).optional(),
  backup: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a backup name (lowercase letters, digits, '-', '.')")
    .optional(),
  window: z.string().max(200).optional(),
  note: z.string().max(500).optional(),
  dryRun: z.boolean(),
});

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
    if (ch === '"' || ch === "'" || ch === "“" || ch === "”") {
      quote = ch === "“" ? "”" : ch;
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
      raw.dryRun = true;
      continue;
    }
    if (!FLAGS_WITH_VALUE.has(flag))
      throw new DrError("invalid_input", `unknown flag --${flag.slice(0, 30)}; see \`/dr help\``);
    const value = inline ?? tokens.shift();
    if (value === undefined || value.startsWith("--"))
      throw new DrError("invalid_input", `--${flag} needs a value`);
    raw[flag] = value;
  }
  raw.args = args;
  const parsed = commandSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DrError("invalid_input", `${issue.path.join(".") || "command"}: ${issue.message}`);
  }
  return parsed.data;
}

export function helpText(): string {
  const lines = ["*drbot* runs disaster recovery: plans, two-person approval, live progress.", ""];
  for (const c of COMMANDS.filter((c) => c.slack))
    lines.push(`\`/dr ${c.usage}\`  ${c.summary}${c.changesProduction ? " _(approval-gated)_" : ""}`);
  return lines.join("\n");
}
