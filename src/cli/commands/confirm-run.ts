import { answerWithin } from "../../app/answer-within.js";
import { DrError, describeError } from "../../domain/errors.js";
import { runExposure } from "../../domain/rpo.js";
import type { RunMode } from "../../domain/run.js";
import { type ConfirmedKind, confirmationName, typedMatches } from "../../domain/run-confirmation.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import { askTyped } from "../ask-typed.js";
import { confirmRunText } from "../confirm-run-text.js";
import type { CliContext } from "./cli-command.js";

/** How long the prompt waits for the person to type the scope's name. */
export const CONFIRM_DEADLINE_MS = 5 * 60_000;
/** How long the readings shown before the prompt may take; past it they are shown as not read. */
const READ_DEADLINE_MS = 10_000;

export interface ConfirmInput {
  kind: ConfirmedKind;
  actor: string;
  runbook: string;
  targets: string[];
  reason: string;
  mode: RunMode;
  pins?: Record<string, string>;
  withShared: boolean;
}

/**
 * A real failover or failback asked on the CLI, confirmed as in Slack's modal: the plan summary,
 * the data at risk and the readiness verdict are shown, and the person types the scope's name on
 * the terminal. Returns when they typed it exactly; otherwise throws, audited, and nothing is
 * requested. Not a terminal (a script, a pipe): refused, saying to pass --yes.
 */
export async function confirmOnTerminal(ctx: CliContext, rt: Runtime, input: ConfirmInput): Promise<void> {
  const terminal = ctx.io.terminal;
  const name = confirmationName(input.targets);
  // The plan first: a name the runbook refuses is told as such, wherever drbot runs.
  const plan = await rt.service.plan({
    runbook: input.runbook,
    targets: input.targets,
    mode: input.mode,
    withShared: input.withShared,
    ...(input.pins ? { pins: input.pins } : {}),
  });
  if (!terminal?.isTTY) {
    const error = new DrError(
      "invalid_input",
      `a real ${input.kind} is confirmed by typing its scope's name on a terminal, and this is not one (stdin and stdout must both be): run it on a terminal, or add --yes to request it without the question (scripts). Nothing was requested.`,
    );
    await rt.service.auditRefusal(input.actor, error, { command: input.kind, source: "cli" });
    throw error;
  }
  // What the confirmation shows: the readiness read has its own deadline, the data at risk this one.
  const readiness = rt.service.readiness(READ_DEADLINE_MS, "cli.confirm-run");
  const tiers = rt.service.rpo().then(
    (read) => ({ read }),
    (error: unknown) => ({ unreadable: describeError(error) }),
  );
  const exposure = await answerWithin(
    tiers.then((t) => ("read" in t ? runExposure(t.read, plan.scope.tiers) : t)),
    READ_DEADLINE_MS,
    { unreadable: `no answer within ${READ_DEADLINE_MS / 1000} s` },
  );
  terminal.output.write(
    `${confirmRunText({ kind: input.kind, reason: input.reason, plan, exposure, readiness: await readiness })}\n\n`,
  );
  const answer = await askTyped(
    terminal,
    `Type ${name} to confirm (approvals are still needed after): `,
    terminal.deadlineMs ?? CONFIRM_DEADLINE_MS,
  );
  if (answer.answered && typedMatches({ targets: input.targets }, answer.text)) return;
  const error = new DrError(
    "not_confirmed",
    answer.answered
      ? `the name typed to confirm the ${input.kind} was not "${name}". Nothing was requested.`
      : `the ${input.kind} was not confirmed (${answer.why}). Nothing was requested.`,
  );
  await rt.service.auditRefusal(input.actor, error, {
    command: input.kind,
    source: "cli",
    ...(answer.answered ? { typed: answer.text.slice(0, 100) } : { unanswered: answer.why }),
  });
  throw error;
}
