import { EXIT } from "../../app/error-messages.js";
import { DrError } from "../../domain/errors.js";
import type { RunRecord } from "../../domain/run.js";
import type { DriveOutcome } from "../../engine/run-engine.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import { runText } from "../render-text.js";
import { listenForStopSignals } from "../stop-signals.js";
import type { CliContext } from "./cli-command.js";

/**
 * Executes a run in this process until it ends or waits for a person (a command that starts or
 * resumes a run drives it in the foreground unless --detach leaves it to `drbot serve`).
 */
export async function drive(ctx: CliContext, rt: Runtime, runId: string): Promise<RunRecord> {
  const outcome = await driveInForeground(ctx, rt, runId);
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

/**
 * `engine.drive` with Ctrl-C (SIGINT) and SIGTERM handled as `drbot serve` handles SIGTERM: the
 * first lets the steps in flight finish (within engine.drainGrace), starts no other, and hands the
 * run over as it stands (its lease released, nothing to re-observe); a second stops the steps in
 * flight at once, and the next executor re-observes them. Either way the person is told what
 * happened and who carries the run on.
 */
export async function driveInForeground(ctx: CliContext, rt: Runtime, runId: string): Promise<DriveOutcome> {
  const signals = listenForStopSignals();
  const grace = rt.config.engine.drainGrace;
  let forced = false;
  void signals.first.then((signal) => {
    ctx.io.err(
      `${signal}: letting the step in flight finish (at most ${grace / 1000} s) and starting no other, then handing ${runId} over; ${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again stops the step now`,
    );
    return rt.engine.drain(grace);
  });
  void signals.second.then((signal) => {
    forced = true;
    ctx.io.err(`${signal} again: stopping the step in flight now; the next executor re-observes it`);
    return rt.engine.stop();
  });
  try {
    const outcome = await rt.engine.drive(runId);
    if (!outcome.driven && outcome.reason === "draining")
      ctx.io.err(
        forced
          ? `${runId} stopped and handed over: the step that was stopped is re-observed by whoever takes the run over (\`drbot serve\`: a replica, or one started here without Slack)`
          : `${runId} handed over as it stands, no step in flight: \`drbot serve\` carries it on (a replica, or one started here without Slack)`,
      );
    return outcome;
  } finally {
    signals.dispose();
  }
}

/** Prints where the run got to; exit 0 when it completed or waits for a person, 5 otherwise. */
export async function finish(ctx: CliContext, rt: Runtime, run: RunRecord): Promise<number> {
  const steps = await rt.store.getSteps(run.id);
  ctx.io.out(
    ctx.cmd.flags.json
      ? JSON.stringify({ run, steps: Object.fromEntries(steps) })
      : runText(run, steps, rt.clock.now()),
  );
  return run.state === "completed" ||
    run.state === "completed_with_exceptions" ||
    run.state === "waiting_manual"
    ? EXIT.ok
    : EXIT.runNotCompleted;
}

/** Drives the run unless --detach, then finishes; with --detach prints the run's state. */
export async function driveUnlessDetached(ctx: CliContext, rt: Runtime, run: RunRecord): Promise<number> {
  if (!ctx.cmd.flags.detach) return finish(ctx, rt, await drive(ctx, rt, run.id));
  ctx.emit(run, `${run.id}: ${run.state}`);
  return EXIT.ok;
}
