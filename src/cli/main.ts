#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { COMMANDS, findCommand } from "../../commands/definitions.js";
import { ERROR_HEADLINES, EXIT, exitCodeFor } from "../app/error-messages.js";
import { DrError, describeError, isDrError } from "../domain/errors.js";
import { isTerminal, type RunRecord } from "../domain/run.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import { OFFLINE_COMMANDS, runOffline } from "./offline-commands.js";
import { planText, runLine, runText, statusText } from "./render-text.js";
import { writeReportFiles } from "./write-report-files.js";

/**
 * The `drbot` CLI: the same use cases as Slack, for when Slack is down. Identity is explicit
 * (`--as USER`) and checked against the same rules. Exit codes: 0 ok, 1 refused, 2 bad usage or
 * input, 3 invalid configuration or runbook, 4 a service unavailable, 5 the run did not complete.
 */

const OPTIONS = {
  config: { type: "string" },
  runbooks: { type: "string" },
  json: { type: "boolean", default: false },
  as: { type: "string" },
  reason: { type: "string" },
  plan: { type: "string" },
  backup: { type: "string" },
  "accept-data-loss": { type: "boolean", default: false },
  note: { type: "string" },
  mode: { type: "string" },
  limit: { type: "string" },
  "idempotency-key": { type: "string" },
  detach: { type: "boolean", default: false },
  out: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
} as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${describeError(error)}\n\n${usage()}`);
    return EXIT.usage;
  }
  const { values: flags, positionals } = parsed;
  if (flags.version) {
    io.out(version());
    return EXIT.ok;
  }
  const [name, ...args] = positionals;
  if (!name || flags.help || name === "help") {
    io.out(usage());
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (!command?.cli) {
    io.err(`unknown command "${name.slice(0, 40)}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const configPath = flags.config ?? io.env.DRBOT_CONFIG;
  if (!configPath) {
    io.err("no configuration: pass --config FILE or set DRBOT_CONFIG");
    return EXIT.usage;
  }
  let runtime: Runtime | undefined;
  try {
    if (OFFLINE_COMMANDS.has(name)) {
      const mode = parseMode(flags.mode);
      return await runOffline(
        name,
        args,
        {
          configPath,
          runbooksDir: flags.runbooks ?? io.env.DRBOT_RUNBOOKS ?? "runbooks",
          json: flags.json === true,
          ...(mode ? { mode } : {}),
        },
        io,
      );
    }
    runtime = await createRuntime({
      configPath,
      ...(flags.runbooks ? { runbooksDir: flags.runbooks } : {}),
      env: io.env,
      // Only the bot executes runs on its own; other commands drive theirs in the foreground.
      autoStart: name === "serve",
    });
    return await dispatch(runtime, name, args, flags, io);
  } catch (error) {
    if (isDrError(error)) {
      if (flags.json)
        io.out(
          JSON.stringify({ ok: false, code: error.code, message: error.message, details: error.details }),
        );
      else io.err(`${ERROR_HEADLINES[error.code]}: ${error.message}`);
      return exitCodeFor(error.code);
    }
    io.err(`drbot hit an internal error: ${describeError(error)}`);
    return EXIT.refused;
  } finally {
    await runtime?.close().catch(() => undefined);
  }
}

type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean : string;
};

async function dispatch(rt: Runtime, name: string, args: string[], flags: Flags, io: CliIo): Promise<number> {
  const s = rt.service;
  const emit = (json: unknown, text: string) => io.out(flags.json ? JSON.stringify(json) : text);
  const actor = () => {
    if (!flags.as)
      throw new DrError(
        "invalid_input",
        "say who you are: --as USER (a Slack user ID, checked like a click in Slack)",
      );
    return flags.as;
  };
  const runId = () => {
    if (!args[0]) throw new DrError("invalid_input", `usage: drbot ${findCommand(name)!.usage}`);
    return args[0];
  };
  switch (name) {
    case "run": {
      const [runbook, ...targets] = args;
      if (!runbook)
        throw new DrError("invalid_input", 'usage: drbot run RUNBOOK [tier|app…] --reason "…" --as USER');
      const mode = parseMode(flags.mode);
      const outcome = await s.request({
        actor: actor(),
        runbook,
        targets,
        reason: flags.reason ?? "",
        source: "cli",
        ...(flags.backup ? { pins: { backup: parseBackupName(flags.backup) } } : {}),
        ...(flags["idempotency-key"] ? { dedupeKey: `cli:${flags["idempotency-key"]}` } : {}),
        ...(mode ? { mode } : {}),
      });
      const run = outcome.run;
      if (run.state === "approved" && !flags.detach) return finish(rt, await drive(rt, run.id), flags, io);
      emit(
        { ...run, duplicate: outcome.duplicate },
        `${outcome.duplicate ? "already requested: " : "requested: "}${run.id} (${run.state}); plan ${run.plan.hash}; needs ${run.requiredApprovals} approval(s)\n${planText(run.plan)}`,
      );
      return EXIT.ok;
    }
    case "approve": {
      if (!flags.plan)
        throw new DrError(
          "invalid_input",
          "approve binds to a plan: pass --plan HASH as shown by `drbot show RUN`",
        );
      const { run, started } = await s.approve({
        actor: actor(),
        runId: runId(),
        planHash: flags.plan,
        acceptsDataLoss: flags["accept-data-loss"] === true,
      });
      if (started && !flags.detach) return finish(rt, await drive(rt, run.id), flags, io);
      emit(
        run,
        `${run.id}: ${run.approvals.length}/${run.requiredApprovals} approvals; ${run.state}${run.stateReason ? ` (${run.stateReason})` : ""}`,
      );
      return EXIT.ok;
    }
    case "reject": {
      const run = await s.reject({
        actor: actor(),
        runId: runId(),
        ...(flags.note ? { note: flags.note } : {}),
      });
      emit(run, `${run.id}: ${run.state}`);
      return EXIT.ok;
    }
    case "abort": {
      const run = await s.abort({
        actor: actor(),
        runId: runId(),
        ...(flags.note ? { note: flags.note } : {}),
      });
      if (!isTerminal(run.state)) {
        const outcome = await rt.engine.drive(run.id);
        if (!outcome.driven && outcome.reason === "held") {
          emit(
            { ...run, executor: outcome.heldBy },
            `${run.id}: abort requested; its executor (${outcome.heldBy}) stops it within a second`,
          );
          return EXIT.ok;
        }
        return finish(rt, (await rt.store.getRun(run.id)) ?? run, flags, io);
      }
      emit(run, `${run.id}: ${run.state}`);
      return EXIT.ok;
    }
    case "resume": {
      const run = await s.resume({ actor: actor(), runId: runId() });
      if (!flags.detach) return finish(rt, await drive(rt, run.id), flags, io);
      emit(run, `${run.id}: ${run.state}`);
      return EXIT.ok;
    }
    case "skip": {
      if (!args[1]) throw new DrError("invalid_input", "usage: drbot skip RUN STEP");
      const run = await s.skip({ actor: actor(), runId: runId(), stepId: args[1] });
      if (!flags.detach) return finish(rt, await drive(rt, run.id), flags, io);
      emit(run, `${run.id}: ${run.state}`);
      return EXIT.ok;
    }
    case "tick": {
      const [, stepId, ...items] = args;
      if (!stepId || items.length === 0)
        throw new DrError("invalid_input", "usage: drbot tick RUN STEP ITEM…");
      for (const item of items) await s.tick({ actor: actor(), runId: runId(), stepId, item });
      return flags.detach ? EXIT.ok : finish(rt, await drive(rt, runId()), flags, io);
    }
    case "status": {
      const report = await s.status();
      emit(report, statusText(report));
      return EXIT.ok;
    }
    case "runs": {
      const runs = await s.runs(Number(flags.limit ?? 20) || 20);
      emit(runs, runs.length ? runs.map(runLine).join("\n") : "no runs yet");
      return EXIT.ok;
    }
    case "show": {
      const { run, steps, events } = await s.show(runId());
      emit({ run, steps: Object.fromEntries(steps), events }, runText(run, steps, Date.now(), events));
      return EXIT.ok;
    }
    case "report": {
      const files = await rt.reports.files(runId());
      if (flags.out) {
        const written = await writeReportFiles(files, flags.out);
        emit({ ...files.report, files: written }, `report of ${files.report.run.id}: ${written.join(", ")}`);
        return EXIT.ok;
      }
      io.out(flags.json ? files.json.trimEnd() : files.markdown.trimEnd());
      return EXIT.ok;
    }
    case "serve": {
      const { serve } = await import("./serve.js");
      return serve(rt, io);
    }
    default:
      throw new DrError("invalid_input", `"${name}" is not available in the CLI`);
  }
}

async function drive(rt: Runtime, runId: string): Promise<RunRecord> {
  const outcome = await rt.engine.drive(runId);
  if (!outcome.driven && outcome.reason === "held") {
    throw new DrError(
      "conflict",
      `run ${runId} is being executed by ${outcome.heldBy}; follow it with \`drbot show ${runId}\``,
    );
  }
  const run = await rt.store.getRun(runId);
  if (!run) throw new DrError("unknown_run", `run ${runId} disappeared`);
  return run;
}

async function finish(rt: Runtime, run: RunRecord, flags: Flags, io: CliIo): Promise<number> {
  const steps = await rt.store.getSteps(run.id);
  io.out(
    flags.json ? JSON.stringify({ run, steps: Object.fromEntries(steps) }) : runText(run, steps, Date.now()),
  );
  return run.state === "completed" ||
    run.state === "completed_with_exceptions" ||
    run.state === "waiting_manual"
    ? EXIT.ok
    : EXIT.runNotCompleted;
}

function parseMode(mode: string | undefined): "real" | "drill" | undefined {
  if (mode === undefined) return undefined;
  if (mode === "real" || mode === "drill") return mode;
  throw new DrError("invalid_input", `--mode is real or drill, not "${mode.slice(0, 20)}"`);
}

function usage(): string {
  const lines = ["usage: drbot [--config FILE] [--json] COMMAND …", "", "commands:"];
  for (const c of COMMANDS.filter((c) => c.cli)) lines.push(`  ${c.usage.padEnd(72)} ${c.summary}`);
  lines.push(
    "",
    "exit codes: 0 ok, 1 refused, 2 bad usage or input, 3 invalid configuration or runbook, 4 a service unavailable, 5 the run did not complete",
  );
  return lines.join("\n");
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
  });
  process.exitCode = code;
}

/** Same rule as Slack's --backup: a Kubernetes object name, nothing a shell or API could misread. */
function parseBackupName(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name))
    throw new DrError(
      "invalid_input",
      `--backup takes a backup name (lowercase letters, digits, '-', '.'), not "${name.slice(0, 80)}"`,
    );
  return name;
}
