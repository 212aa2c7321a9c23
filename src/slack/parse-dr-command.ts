import type { SlackCommandName } from "../../commands/definitions.js";
import { type ParsedCommand, parseCommandLine } from "../../commands/parse-command-line.js";
import { DrError } from "../domain/errors.js";

/**
 * Parses the text after `/dr`: a subcommand, positional words and `--flags` as the command table
 * declares them (`commands/definitions.ts`), with "double" or 'single' quotes for values with
 * spaces (and the “curly” and ‘curly’ ones Slack's clients type in their place). Nothing here is
 * ever executed; values are checked by the use cases (names against the configuration, run ids by
 * pattern).
 */
export type DrCommand = ParsedCommand<SlackCommandName>;

const MAX_TEXT = 4000;

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
  const words = tokenize(text.trim());
  // `/dr` alone is answered with the help; an unknown subcommand is refused with the closest one.
  const parsed = parseCommandLine(words, "slack");
  return parsed.name === undefined ? { name: "help", args: [], flags: {} } : parsed;
}
