/**
 * The `/dr` subcommands and their `drbot` CLI twins, declared once: usage, help, and whether they
 * change production (those need approvals or an approver). Slack's help text, the CLI's help and
 * the argument parsers are all generated from this table.
 */
export interface CommandDefinition {
  name: string;
  usage: string;
  summary: string;
  /** Changes what production sees; gated by approvals or approver rights. */
  changesProduction: boolean;
  /** Available in Slack as `/dr NAME`. */
  slack: boolean;
  /** Available in the CLI as `drbot NAME`. */
  cli: boolean;
}

export const COMMANDS: readonly CommandDefinition[] = [
  {
    name: "help",
    usage: "help",
    summary: "List the commands",
    changesProduction: false,
    slack: true,
    cli: true,
  },
  {
    name: "status",
    usage: "status [tier|app]",
    summary: "Health of both sites, RPO per tier, active runs and locks",
    changesProduction: false,
    slack: true,
    cli: true,
  },
  {
    name: "failover",
    usage: 'failover [tier|app…] [--reason "…"] [--backup NAME] [--dry-run]',
    summary: "Plan a failover to the DR site and ask for approvals",
    changesProduction: true,
    slack: true,
    cli: false,
  },
  {
    name: "failback",
    usage: 'failback [tier|app…] [--reason "…"] [--dry-run]',
    summary: "Plan the return to the primary and ask for approvals",
    changesProduction: true,
    slack: true,
    cli: false,
  },
  {
    name: "drill",
    usage: 'drill [tier|app…] [--reason "…"] [--window TEXT] [--dry-run]',
    summary: "Start a DR drill (checklist, failover of the scope, validation, failback, report)",
    changesProduction: true,
    slack: true,
    cli: false,
  },
  {
    name: "validate",
    usage: "validate",
    summary: "Check the configuration and every runbook",
    changesProduction: false,
    slack: false,
    cli: true,
  },
  {
    name: "plan",
    usage: "plan RUNBOOK [tier|app…] [--mode real|drill]",
    summary: "Show the plan a request would make, with its hash",
    changesProduction: false,
    slack: false,
    cli: true,
  },
  {
    name: "run",
    usage:
      'run RUNBOOK [tier|app…] --reason "…" --as USER [--backup NAME] [--idempotency-key KEY] [--detach]',
    summary: "Request a run (it waits for approvals)",
    changesProduction: true,
    slack: false,
    cli: true,
  },
  {
    name: "approve",
    usage: "approve RUN --plan HASH --as USER [--accept-data-loss] [--detach]",
    summary: "Approve a run's plan",
    changesProduction: true,
    slack: false,
    cli: true,
  },
  {
    name: "reject",
    usage: 'reject RUN --as USER [--note "…"]',
    summary: "Reject a request",
    changesProduction: false,
    slack: false,
    cli: true,
  },
  {
    name: "runs",
    usage: "runs [--limit N]",
    summary: "Recent runs",
    changesProduction: false,
    slack: true,
    cli: true,
  },
  {
    name: "show",
    usage: "show RUN",
    summary: "One run: state, steps, approvals, timeline",
    changesProduction: false,
    slack: true,
    cli: true,
  },
  {
    name: "report",
    usage: "report RUN",
    summary: "The run's report: Markdown and JSON with a timeline picture (CLI: --out DIR writes the files)",
    changesProduction: false,
    slack: true,
    cli: true,
  },
  {
    name: "abort",
    usage: 'abort RUN [--note "…"]',
    summary: "Stop a run (in-flight steps are cancelled)",
    changesProduction: true,
    slack: true,
    cli: true,
  },
  {
    name: "resume",
    usage: "resume RUN",
    summary: "Resume a paused run (an interrupted run is taken over by the next executor on its own)",
    changesProduction: true,
    slack: true,
    cli: true,
  },
  {
    name: "skip",
    usage: "skip RUN STEP",
    summary: "Skip a failed or waiting step and go on",
    changesProduction: true,
    slack: true,
    cli: true,
  },
  {
    name: "tick",
    usage: "tick RUN STEP ITEM…",
    summary: "Tick a checklist item",
    changesProduction: false,
    slack: false,
    cli: true,
  },
  {
    name: "serve",
    usage: "serve",
    summary: "Run the bot: Slack surface, engine, supervisor, health endpoints",
    changesProduction: false,
    slack: false,
    cli: true,
  },
];

export function findCommand(name: string): CommandDefinition | undefined {
  return COMMANDS.find((c) => c.name === name);
}
