import { hostname } from "node:os";
import { EXIT } from "../../app/error-messages.js";
import { readKeptRound } from "../../app/read-readiness.js";
import { recordRunsReadiness } from "../../app/readiness/readiness-of-runs.js";
import { ReadinessRound } from "../../app/readiness/readiness-round.js";
import { DrError } from "../../domain/errors.js";
import { type KeptRound, keptRound } from "../../domain/readiness/kept-round.js";
import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import { abortableDelay } from "../../ports/abortable-delay.js";
import type { Runtime } from "../../runtime/create-runtime.js";
import { notReadyApplications, readinessReportText } from "../readiness-report-text.js";
import type { CliCommandHandler } from "./cli-command.js";

/**
 * `drbot readiness [--now]`: the kept readiness round (or one made here with --now), each tier,
 * application and finding. Exit 6 when any application is not ready, 4 when no round can be shown
 * (none kept yet, Redis not answering): a script can gate on it.
 */
export const showReadiness: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const kept = ctx.cmd.flags.now
    ? await roundNow(rt)
    : await readKeptRound(rt, rt.config.redis.commandTimeout, "cli.readiness");
  if (!kept) throw new DrError("unavailable", "this drbot keeps no readiness rounds");
  const notReady = notReadyApplications(kept);
  ctx.emit({ ...kept, notReady }, readinessReportText(kept));
  if (kept.state !== "read") return EXIT.unavailable;
  return notReady.length > 0 ? EXIT.notReady : EXIT.ok;
};

/**
 * A round made here, within the configured deadline, and kept like the leader's. When another
 * process is making one (the leader), waits for that one to be kept instead of reading twice.
 */
async function roundNow(rt: Runtime): Promise<KeptRound> {
  const assess = rt.assessReadiness;
  if (!assess) throw new DrError("unavailable", "this drbot has no readiness checks to run");
  const { interval, deadline } = rt.config.watch.readiness;
  const startedAt = rt.clock.now();
  const round = new ReadinessRound({
    assess,
    store: rt.readiness,
    scope: {
      tiers: rt.config.tiers.map((t) => t.name),
      applications: rt.config.applications.map((a) => ({ name: a.name, tier: a.tier })),
    },
    clock: rt.clock,
    intervalMs: interval,
    deadlineMs: deadline,
    token: `cli:${hostname()}:${process.pid}`,
    log: rt.log.child({ component: "readiness" }),
    onKept: (report, requests) => recordRunsReadiness(rt.artifacts, report, requests),
  });
  const outcome = await round.runOnce();
  const report = outcome.kind === "kept" ? outcome.report : await keptSince(rt, startedAt, deadline + 5_000);
  return keptRound(report, rt.clock.now(), interval);
}

/** The round another process is making, once kept; DrError("timeout") if none is kept within `ms`. */
async function keptSince(rt: Runtime, since: number, ms: number): Promise<ReadinessReport> {
  const signal = AbortSignal.timeout(ms);
  for (;;) {
    const report = await rt.readiness.latest();
    if (report && report.readAt >= since - rt.config.watch.readiness.deadline) return report;
    if (signal.aborted) break;
    await abortableDelay(500, signal).catch((error: unknown) => {
      if (!signal.aborted) throw error;
    });
  }
  throw new DrError(
    "timeout",
    `another drbot is making a readiness round and kept none within ${Math.round(ms / 1000)} s`,
  );
}
