import { performance } from "node:perf_hooks";
import { formatMs } from "../domain/duration.js";
import { describeError } from "../domain/errors.js";
import { shownRun } from "../domain/evidence/shown-proof.js";
import { placementWarnings } from "../domain/placement.js";
import { type TierRpo, tierProblem, tierRpo } from "../domain/rpo.js";
import type { RunRecord } from "../domain/run.js";
import { annotationWarnings } from "../domain/run-annotations.js";
import type { SiteHealth } from "../domain/site-health.js";
import { servedBy } from "../domain/site-state.js";
import type { StatusReport } from "../domain/status-report.js";
import { parseStatusScope } from "../domain/status-scope.js";
import { answerWithin } from "./answer-within.js";
import type { AppContext } from "./app-context.js";
import { readKeptRound } from "./read-readiness.js";
import { activeRuns } from "./read-runs.js";
import { readServingWithin } from "./read-serving.js";

/** How long one reading of the sites answers `status` for everyone. */
const STATUS_REUSE_MS = 2_000;

/** RPO per tier from every data source's current reading. Throws what the readers throw. */
export async function readTierRpo(ctx: AppContext): Promise<TierRpo[]> {
  const readings = ctx.readRpo ? await ctx.readRpo() : [];
  return tierRpo(ctx.config, readings, ctx.clock.now());
}

/**
 * `/dr status`: health of both sites, which site serves each application, RPO per tier, active runs,
 * answered within the status deadline
 * whatever the sites do. A site that has not answered by then is reported down, with the reason.
 */
export class StatusReader {
  private inFlight: Promise<StatusReport> | undefined;
  private cache: { readAt: number; report: StatusReport } | undefined;

  constructor(private readonly ctx: AppContext) {}

  /**
   * Status, with the details of one tier or application when `args` names one (checked against the
   * configuration first: DrError unknown_scope naming the valid names, before anything is read).
   */
  async status(args: readonly string[] = []): Promise<StatusReport> {
    const scope = parseStatusScope(this.ctx.config, args);
    const report = await this.read();
    return scope ? { ...report, scope } : report;
  }

  private async read(): Promise<StatusReport> {
    // Fifty people typing /dr status during an outage get one reading of the sites, not fifty:
    // concurrent callers share the reading in flight, and a reading serves for a short while.
    if (this.cache && performance.now() - this.cache.readAt < STATUS_REUSE_MS) return this.cache.report;
    this.inFlight ??= readStatus(this.ctx)
      .then((report) => {
        this.cache = { readAt: performance.now(), report };
        return report;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}

async function readStatus(ctx: AppContext): Promise<StatusReport> {
  const started = performance.now();
  const deadlineMs = ctx.statusDeadlineMs;
  // Sites, data sources and runs are read at the same time: the answer takes the slowest of them,
  // bounded by the deadline, never their sum.
  const [sites, rpo, active, serving, readiness] = await Promise.all([
    Promise.all(ctx.config.sites.map((site) => readSite(ctx, site.name, site.role))),
    readRpoWithin(ctx, deadlineMs),
    activeRunsWithin(ctx, deadlineMs),
    readServingWithin(ctx, deadlineMs),
    readKeptRound(ctx, deadlineMs, "status.readiness"),
  ]);
  const warnings: string[] = [];
  if ("unread" in active) warnings.push(`active runs ${active.unread}`);
  if (serving.read)
    for (const site of sites.filter((s) => !s.reachable)) {
      const served = servedBy(serving.applications, site.site).map((s) => s.application);
      if (served.length > 0) warnings.push(`${site.site} serves ${served.join(", ")} and does not answer`);
    }
  const dr = sites.find((s) => s.role === "dr");
  if (dr && !dr.reachable) warnings.push(`the DR site ${dr.site} is not reachable: a failover cannot run`);
  for (const t of rpo) {
    const problem = tierProblem(t);
    if (problem) warnings.push(problem);
  }
  const placement = ctx.placement;
  if (placement) warnings.push(...placementWarnings(ctx.config, placement));
  const runs = "unread" in active ? [] : active.runs;
  for (const run of runs) warnings.push(...annotationWarnings(run));
  return {
    sites,
    rpo,
    serving,
    ...(readiness ? { readiness } : {}),
    activeRuns: runs.map(shownRun),
    warnings,
    ...(placement ? { placement } : {}),
    tookMs: Math.round(performance.now() - started),
  };
}

async function readSite(ctx: AppContext, name: string, role: string): Promise<SiteHealth & { role: string }> {
  const deadlineMs = ctx.statusDeadlineMs;
  const fallback: SiteHealth = {
    site: name,
    reachable: false,
    ready: false,
    nodes: [],
    readyNodes: 0,
    latencyMs: deadlineMs,
    error: { code: "timeout", message: `no answer within ${formatMs(deadlineMs)}` },
  };
  if (!ctx.siteHealth)
    return { ...fallback, error: { code: "unavailable", message: "no Kubernetes access configured" }, role };
  // siteHealth must not throw; one that does is reported as the site's own failure.
  const reading = ctx.siteHealth(name).catch(
    (error: unknown): SiteHealth => ({
      ...fallback,
      error: { code: "unavailable", message: describeError(error) },
    }),
  );
  return { ...(await answerWithin(reading, deadlineMs, fallback)), role };
}

/**
 * A data source that has not answered by the deadline (or whose reading failed) is unknown, and the
 * answer says why, so nobody reads "unknown" without a reason.
 */
async function readRpoWithin(ctx: AppContext, deadlineMs: number): Promise<TierRpo[]> {
  const at = ctx.clock.now();
  const unread = (detail: string) =>
    tierRpo(
      ctx.config,
      ctx.config.dataSources.map((source) => ({
        source: source.name,
        kind: source.kind,
        exposureMs: undefined,
        at,
        detail,
      })),
      at,
    );
  const reading = readTierRpo(ctx).catch((error: unknown) =>
    unread(`could not be read: ${describeError(error)}`),
  );
  return (
    (await answerWithin(reading, deadlineMs, undefined)) ?? unread(`no answer within ${formatMs(deadlineMs)}`)
  );
}

/**
 * The runs not yet ended, or why they could not be read in time: the sites are what status is for,
 * and it answers with them when Redis does not (the warning says the runs are unknown, not none).
 */
async function activeRunsWithin(
  ctx: AppContext,
  deadlineMs: number,
): Promise<{ runs: RunRecord[] } | { unread: string }> {
  const reading = activeRuns(ctx).then(
    (runs) => ({ runs }),
    (error: unknown) => ({ unread: `could not be read: ${describeError(error)}` }),
  );
  return answerWithin(reading, deadlineMs, { unread: `could not be read within ${formatMs(deadlineMs)}` });
}
