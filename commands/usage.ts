import {
  type CommandDefinition,
  commandsOn,
  FLAGS,
  type FlagName,
  flagDefinition,
  flagsOf,
  isGlobalFlag,
  type Surface,
  WHO,
  type Who,
} from "./definitions.js";

/** Usage lines and help texts, written from the command table for Slack (mrkdwn) and the terminal. */

const PREFIX: Record<Surface, string> = { slack: "/dr", cli: "drbot" };
const USAGE_COLUMN = 64;

/** `--backup NAME`, `--dry-run`. */
function flagText(name: FlagName): string {
  const flag = flagDefinition(name);
  return flag.value ? `--${name} ${flag.value}` : `--${name}`;
}

/** Flags a line each, their summaries in one column. */
function flagLines(names: FlagName[], surface: Surface): string[] {
  const shown = names.map((name) => {
    const short = flagDefinition(name).short;
    const text = `${short ? `-${short}, ` : ""}${flagText(name)}`;
    return { text: surface === "slack" ? `\`${text}\`` : text, summary: flagDefinition(name).summary };
  });
  const width = Math.max(...shown.map((f) => f.text.length));
  return shown.map((f) => `  ${f.text.padEnd(width)}  ${f.summary}`);
}

/** `/dr failover [tier|app…] [--reason "…"] [--backup NAME] [--dry-run]` (global CLI flags left out). */
export function commandUsage(command: CommandDefinition, surface: Surface): string {
  const words = [PREFIX[surface], command.name];
  for (const arg of command.args) {
    const text = arg.repeated ? `${arg.name}…` : arg.name;
    words.push(arg.required ? text : `[${text}]`);
  }
  for (const name of flagsOf(command, surface)) {
    if (isGlobalFlag(name)) continue;
    words.push(flagDefinition(name).required ? flagText(name) : `[${flagText(name)}]`);
  }
  return words.join(" ");
}

/** One command at length: usage, what it does, each flag, who may run it. */
export function commandHelp(command: CommandDefinition, surface: Surface): string {
  const usage = commandUsage(command, surface);
  const lines = [surface === "slack" ? `\`${usage}\`` : usage, command.summary];
  const flags = flagsOf(command, surface).filter((f) => !isGlobalFlag(f));
  if (flags.length > 0)
    lines.push("", surface === "slack" ? "*Flags*" : "flags:", ...flagLines(flags, surface));
  lines.push("", `Who may run it: ${WHO[command.who]}.`);
  if (command.changesProduction) lines.push("It changes production: approvals or approver rights gate it.");
  return lines.join("\n");
}

/**
 * How a command that changes production is gated, in a word: a request waits for approvals; an
 * operator's control (abort) takes effect at once, for the requester or an approver.
 */
const GATE: Record<Who, string> = {
  anyone: "anyone",
  requester: "runs after approvals",
  approver: "approvers only",
  operator: "the requester or an approver",
  resumer: "an approver other than the requester",
};

/** `/dr help`: every command a line. */
export function slackHelp(): string {
  const lines = ["*drbot* runs disaster recovery: plans, two-person approval, live progress.", ""];
  for (const c of commandsOn("slack"))
    lines.push(
      `\`${commandUsage(c, "slack")}\`  ${c.summary}${c.changesProduction ? ` _(${GATE[c.who]})_` : ""}`,
    );
  lines.push("", "`/dr help COMMAND` says more about one.");
  return lines.join("\n");
}

/** `drbot --help`: the commands, the global flags and the exit codes. */
export function cliUsage(): string {
  const lines = ["usage: drbot [--config FILE] [--json] COMMAND …", "", "commands:"];
  for (const c of commandsOn("cli")) {
    const usage = commandUsage(c, "cli").slice(PREFIX.cli.length + 1);
    // A usage too long for its column gets a line of its own, the summary under it.
    if (usage.length > USAGE_COLUMN) lines.push(`  ${usage}`, `  ${"".padEnd(USAGE_COLUMN)} ${c.summary}`);
    else lines.push(`  ${usage.padEnd(USAGE_COLUMN)} ${c.summary}`);
  }
  const globals = (Object.keys(FLAGS) as FlagName[]).filter(isGlobalFlag);
  lines.push("", "global flags:", ...flagLines(globals, "cli"));
  lines.push(
    "",
    "`drbot help COMMAND` says more about one.",
    "exit codes: 0 ok, 1 refused, 2 bad usage or input, 3 invalid configuration or runbook, 4 a service unavailable, 5 the run did not complete, 6 readiness: an application not ready",
  );
  return lines.join("\n");
}
