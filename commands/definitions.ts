import type { ValueKind } from "./value-kinds.js";

/**
 * The `/dr` subcommands and their `drbot` CLI twins, declared once: positional arguments, flags
 * and their value kinds, who may run them, and on which surface. Both parsers
 * (`commands/parse-command-line.ts`), both help texts (`commands/usage.ts`) and both dispatchers
 * (`src/slack/commands/`, `src/cli/commands/`, each typed as one handler per command it offers
 * here) come from this table: a command or flag added here is offered, parsed and refused in plain
 * words on every surface that declares it, and the build fails until each has a handler.
 */

/** A `--flag`. Adding one is one entry here, plus its name in the commands that take it. */
export interface FlagDefinition {
  kind: ValueKind;
  /** How the value is shown in usage lines ("NAME", '"…"'); switches have none. */
  value?: string;
  summary: string;
  /** The flag must be given wherever it is accepted; the refusal says this. */
  required?: string;
  /** A one-letter alias (CLI). */
  short?: string;
  /**
   * Says who is acting on the CLI: accepted by every CLI command a person runs as themselves (see
   * `who`), without listing it there.
   */
  identity?: true;
  /** Accepted by every CLI command, before or after its name. */
  global?: true;
}

export const FLAGS = {
  reason: {
    kind: "text",
    value: '"…"',
    summary: "Why: shown on the card, kept in the audit trail and the report",
  },
  backup: {
    kind: "backupName",
    value: "NAME",
    summary: "Restore this backup instead of the newest good one (part of the plan and its hash)",
  },
  window: { kind: "label", value: "TEXT", summary: "The drill's window, kept with the reason" },
  note: { kind: "text", value: '"…"', summary: "A note kept with the decision" },
  "dry-run": { kind: "switch", summary: "Show the plan and the data at risk; request nothing" },
  "with-shared": {
    kind: "switch",
    summary:
      "Also move the applications that share a DNS record with the scope, instead of refusing (a record moves only with all its applications)",
  },
  as: {
    kind: "identity",
    value: "USER",
    identity: true,
    required: "say who you are: --as USER (a Slack user ID, checked like a click in Slack)",
    summary: "Who is acting: a Slack user ID, checked like a click in Slack",
  },
  key: {
    kind: "path",
    value: "FILE",
    identity: true,
    summary:
      "Your SSH key, which signs what you do (ssh-keygen -Y sign): a private key file, or KEY.pub held by ssh-agent; registered in approvals.keys",
  },
  plan: {
    kind: "planHash",
    value: "HASH",
    required: "approve binds to a plan: pass --plan HASH as shown by `drbot show RUN`",
    summary: "The plan hash being approved; a different plan voids the approval",
  },
  "accept-data-loss": {
    kind: "switch",
    summary: "Approve a run that loses more data than its tier's RPO allows, knowingly",
  },
  "accept-not-ready": {
    kind: "switch",
    summary: "Approve a real failover or failback whose scope's DR readiness is not ready, knowingly",
  },
  mode: { kind: "mode", value: "real|drill", summary: "Plan a real run or a drill (default: the runbook's)" },
  limit: { kind: "count", value: "N", summary: "How many (default 20)" },
  "idempotency-key": {
    kind: "label",
    value: "KEY",
    summary: "The same key twice requests one run (safe to retry a command)",
  },
  yes: {
    kind: "switch",
    summary:
      "Request a real failover or failback without typing its scope's name to confirm (for scripts; needed when not on a terminal)",
  },
  detach: {
    kind: "switch",
    summary: "Leave execution to a running `drbot serve` instead of driving the run here",
  },
  now: {
    kind: "switch",
    summary:
      "Run a readiness round here and now (within watch.readiness.deadline) instead of showing the kept one",
  },
  out: {
    kind: "path",
    value: "DIR",
    summary: "Write the report's Markdown, JSON and timeline picture there",
  },
  config: {
    kind: "path",
    value: "FILE",
    global: true,
    summary: "The configuration file (default: $DRBOT_CONFIG)",
  },
  runbooks: {
    kind: "path",
    value: "DIR",
    global: true,
    summary: "The runbook directory (default: $DRBOT_RUNBOOKS, else runbooks/)",
  },
  json: { kind: "switch", global: true, summary: "Machine-readable output" },
  help: { kind: "switch", short: "h", global: true, summary: "Say how to use drbot or one command" },
  version: { kind: "switch", global: true, summary: "Print drbot's version" },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAGS;

/** A positional argument: one word, or (repeated) any number of them at the end. */
export interface ArgDefinition {
  name: string;
  required?: true;
  repeated?: true;
  /** What one of the repeated words is called in refusals ("target 3 is at most…"). */
  noun?: string;
}

/**
 * Who may run a command; the use cases enforce it (`src/app`), the help says it. Commands that
 * act as a person take the identity flags on the CLI (`--as`).
 */
export const WHO = {
  anyone: "anyone",
  requester: "the runbook's requesters (slack.permissions.KIND.requesters)",
  approver: "the approvers of the run's kind, never its requester",
  operator: "the run's requester or an approver of its kind",
  resumer: "an approver of the run's kind other than its requester",
} as const;

export type Who = keyof typeof WHO;

/** Where a command is offered, and the flags it takes there. */
export interface SurfaceDefinition {
  flags: readonly FlagName[];
}

export interface CommandDefinition {
  name: string;
  summary: string;
  args: readonly ArgDefinition[];
  who: Who;
  /** Changes what production sees; gated by approvals or approver rights. */
  changesProduction: boolean;
  /** Offered in Slack as `/dr NAME`. */
  slack?: SurfaceDefinition;
  /** Offered in the CLI as `drbot NAME`. */
  cli?: SurfaceDefinition;
}

const SCOPE = { name: "tier|app", repeated: true, noun: "target" } as const;
const RUN = { name: "RUN", required: true } as const;
const STEP = { name: "STEP", required: true } as const;

export const COMMANDS = [
  {
    name: "help",
    summary: "List the commands, or say how to use one",
    args: [{ name: "COMMAND" }],
    who: "anyone",
    changesProduction: false,
    slack: { flags: [] },
    cli: { flags: [] },
  },
  {
    name: "status",
    summary:
      "Health of both sites, which site serves each application, readiness and RPO per tier (name one for its findings), active runs",
    args: [{ name: "tier|app" }],
    who: "anyone",
    changesProduction: false,
    slack: { flags: [] },
    cli: { flags: [] },
  },
  {
    name: "failover",
    summary: "Plan a failover to the DR site and ask for approvals",
    args: [SCOPE],
    who: "requester",
    changesProduction: true,
    slack: { flags: ["reason", "backup", "with-shared", "dry-run"] },
  },
  {
    name: "failback",
    summary: "Plan the return to the primary and ask for approvals",
    args: [SCOPE],
    who: "requester",
    changesProduction: true,
    slack: { flags: ["reason", "with-shared", "dry-run"] },
  },
  {
    name: "drill",
    summary: "Start a DR drill (checklist, failover of the scope, validation, failback, report)",
    args: [SCOPE],
    who: "requester",
    changesProduction: true,
    slack: { flags: ["reason", "window", "dry-run"] },
  },
  {
    name: "readiness",
    summary:
      "Would DR serve each application now: the kept readiness round, each tier, application and finding (exit 6 when any application is not ready)",
    args: [],
    who: "anyone",
    changesProduction: false,
    cli: { flags: ["now"] },
  },
  {
    name: "validate",
    summary: "Check the configuration and every runbook",
    args: [],
    who: "anyone",
    changesProduction: false,
    cli: { flags: [] },
  },
  {
    name: "plan",
    summary: "Show the plan a request would make, with its hash",
    args: [{ name: "RUNBOOK", required: true }, SCOPE],
    who: "anyone",
    changesProduction: false,
    cli: { flags: ["mode", "with-shared"] },
  },
  {
    name: "run",
    summary: "Request a run (it waits for approvals)",
    args: [{ name: "RUNBOOK", required: true }, SCOPE],
    who: "requester",
    changesProduction: true,
    cli: { flags: ["reason", "backup", "mode", "with-shared", "idempotency-key", "detach", "yes"] },
  },
  {
    name: "approve",
    summary: "Approve a run's plan",
    args: [RUN],
    who: "approver",
    changesProduction: true,
    cli: { flags: ["plan", "accept-data-loss", "accept-not-ready", "detach"] },
  },
  {
    name: "reject",
    summary: "Reject a request",
    args: [RUN],
    who: "operator",
    changesProduction: false,
    cli: { flags: ["note"] },
  },
  {
    name: "runs",
    summary: "Recent runs",
    args: [],
    who: "anyone",
    changesProduction: false,
    slack: { flags: [] },
    cli: { flags: ["limit"] },
  },
  {
    name: "show",
    summary: "One run: state, steps, approvals, timeline",
    args: [RUN],
    who: "anyone",
    changesProduction: false,
    slack: { flags: [] },
    cli: { flags: [] },
  },
  {
    name: "report",
    summary: "The run's report: Markdown and JSON with a timeline picture",
    args: [RUN],
    who: "anyone",
    changesProduction: false,
    slack: { flags: [] },
    cli: { flags: ["out"] },
  },
  {
    name: "abort",
    summary:
      "Stop a run at once: in-flight steps are cancelled, then what it changed is undone where the runbook can",
    args: [RUN],
    who: "operator",
    changesProduction: true,
    slack: { flags: ["note"] },
    cli: { flags: ["note"] },
  },
  {
    name: "resume",
    summary: "Resume a paused run (an interrupted run is taken over by the next executor on its own)",
    args: [RUN],
    who: "resumer",
    changesProduction: true,
    slack: { flags: [] },
    cli: { flags: ["detach"] },
  },
  {
    name: "skip",
    summary: "Skip a failed step, or a step of a paused run, and go on (a decision: say why)",
    args: [RUN, STEP],
    who: "resumer",
    changesProduction: true,
    slack: { flags: ["reason"] },
    cli: { flags: ["reason", "detach"] },
  },
  {
    name: "tick",
    summary: "Tick a checklist item",
    args: [RUN, STEP, { name: "ITEM", required: true, repeated: true, noun: "item" }],
    who: "operator",
    changesProduction: false,
    cli: { flags: ["detach"] },
  },
  {
    name: "serve",
    summary: "Run the bot: Slack surface, engine, supervisor, health endpoints",
    args: [],
    who: "anyone",
    changesProduction: false,
    cli: { flags: [] },
  },
] as const satisfies readonly CommandDefinition[];

export type Surface = "slack" | "cli";
type Command = (typeof COMMANDS)[number];
export type CommandName = Command["name"];
export type SlackCommandName = Extract<Command, { slack: SurfaceDefinition }>["name"];
export type CliCommandName = Extract<Command, { cli: SurfaceDefinition }>["name"];

/** The table as plain definitions, for reading it at run time. */
const TABLE: readonly CommandDefinition[] = COMMANDS;

export function flagDefinition(name: FlagName): FlagDefinition {
  return FLAGS[name];
}

export function findCommand(name: string, surface?: Surface): CommandDefinition | undefined {
  const command = TABLE.find((c) => c.name === name);
  return command && (surface === undefined || command[surface]) ? command : undefined;
}

export function commandsOn(surface: Surface): CommandDefinition[] {
  return TABLE.filter((c) => c[surface] !== undefined);
}

/** Whether a person acts as themselves (and so says who they are on the CLI). */
export function actsAsPerson(command: CommandDefinition): boolean {
  return command.who !== "anyone";
}

export const isGlobalFlag = (name: FlagName): boolean => flagDefinition(name).global === true;
const isIdentityFlag = (name: FlagName): boolean => flagDefinition(name).identity === true;

/** The flags a command takes on a surface, in usage order: identity (CLI), its own, then global (CLI). */
export function flagsOf(command: CommandDefinition, surface: Surface): FlagName[] {
  const own = [...(command[surface]?.flags ?? [])];
  if (surface === "slack") return own;
  const names = Object.keys(FLAGS) as FlagName[];
  const identity = actsAsPerson(command) ? names.filter(isIdentityFlag) : [];
  return [...identity, ...own, ...names.filter(isGlobalFlag)];
}
