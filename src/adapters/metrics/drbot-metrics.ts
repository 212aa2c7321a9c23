import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type Config, primarySite } from "../../domain/config.js";
import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import { isStepFinished, type RunEvent, type RunRecord, type StepRecord } from "../../domain/run.js";
import type { StatusReport } from "../../domain/status-report.js";
import { type Logger, silentLogger } from "../../ports/logger.js";
import type { RunObserver } from "../../ports/run-observer.js";
import type { RunSummary } from "../../ports/run-store.js";
import { ReadinessMetrics } from "./readiness-metrics.js";
import { SlackMetrics } from "./slack-metrics.js";

/**
 * drbot's Prometheus metrics, in a registry of their own (never prom-client's global one, so tests
 * and several instances in one process do not collide). Three sources:
 *
 * - readings taken when Prometheus scrapes: RPO per tier and per source, backup ages and
 *   replication lag (from the same RPO readings), site health, where drbot runs, and runs by kind
 *   and state from the store's summary (counts every write keeps: a scrape reads no run). Each
 *   scrape reads them once, within a deadline; a source that fails is reported by
 *   `drbot_metrics_source_up{source}` = 0 and its series are left out rather than made up;
 * - run events, as a run observer: step durations, approval wait times, run transitions;
 * - the Slack WebClient's fetch, wrapped: calls, API errors and 429s per method (`slack`).
 */
export interface MetricSources {
  /** Sites, RPO and placement in one reading (DrService.status, which has its own deadline). */
  status(): Promise<StatusReport>;
  /** Retained runs by kind and state, and how many are active (RunStore.runSummary). */
  runSummary(): Promise<RunSummary>;
  /** The kept readiness round (ReadinessSource.latest): readiness-metrics.ts. */
  readiness?(): Promise<ReadinessReport | undefined>;
}

export interface DrbotMetricsOptions {
  /** How long one scrape waits for a source. */
  sourceDeadlineMs?: number;
  /** Node.js process metrics (heap, event loop lag); off in tests. */
  processMetrics?: boolean;
  /** Where a source that fails or is late is told (once, until it answers again); silent when left out. */
  log?: Logger;
  /** The time the readiness round's age is counted to (default: the system clock). */
  now?: () => number;
}

const BACKUP_KINDS = new Set(["velero", "etcd", "longhorn"]);
const TIER_STATES = ["within_design", "late", "unknown", "beyond_target"] as const;
const SEEN_MAX = 10_000;

export class DrbotMetrics implements RunObserver {
  readonly registry = new Registry();
  /** Slack Web API calls, errors and 429s, and runs whose Slack updates stopped (slack-metrics.ts). */
  readonly slack = new SlackMetrics(this.registry);
  private readonly readiness: ReadinessMetrics;
  private readonly now: () => number;
  private readonly deadlineMs: number;
  private readonly log: Logger;
  /** Sources whose last reading failed or was late (drbot_source_up 0), logged once until they answer. */
  private readonly down = new Set<string>();
  private readonly seenSteps = new Set<string>();
  private readonly seenApprovals = new Set<string>();

  private readonly rpoEffective: Gauge<"tier">;
  private readonly rpoTarget: Gauge<"tier">;
  private readonly rpoWithin: Gauge<"tier">;
  private readonly rpoSource: Gauge<"tier" | "source" | "kind">;
  private readonly rpoSourceUnknown: Gauge<"tier" | "source">;
  private readonly backupAge: Gauge<"source" | "kind">;
  private readonly tierState: Gauge<"tier" | "state">;
  private readonly sourceLate: Gauge<"source" | "kind" | "protects">;
  private readonly sourceDesign: Gauge<"source" | "kind">;
  private readonly lagThreshold: Gauge<"source">;
  private readonly replicationLag: Gauge<"source">;
  private readonly siteUp: Gauge<"site" | "role">;
  private readonly siteReady: Gauge<"site" | "role">;
  private readonly siteReadyNodes: Gauge<"site">;
  private readonly siteNodes: Gauge<"site">;
  private readonly siteLatency: Gauge<"site">;
  private readonly runs: Gauge<"kind" | "state">;
  private readonly activeRuns: Gauge;
  private readonly placementInPrimary: Gauge<"component">;
  private readonly placementKnown: Gauge<"component">;
  private readonly sourceUp: Gauge<"source">;
  private readonly transitions: Counter<"kind" | "state">;
  private readonly stepDuration: Histogram<"step_kind" | "status" | "run_kind">;
  private readonly approvalWait: Histogram<"kind">;

  constructor(
    private readonly config: Config,
    private readonly sources: MetricSources,
    options: DrbotMetricsOptions = {},
  ) {
    this.deadlineMs = options.sourceDeadlineMs ?? 5_000;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.readiness = new ReadinessMetrics(this.registry, config);
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    this.rpoEffective = gauge(
      "drbot_rpo_effective_seconds",
      "Data a failover now would lose per tier: the worst exposure of its sources (+Inf when a source is unknown)",
      ["tier"],
    );
    this.rpoTarget = gauge("drbot_rpo_target_seconds", "The tier's RPO target", ["tier"]);
    this.rpoWithin = gauge(
      "drbot_rpo_within_target",
      "1 when the tier's effective RPO is within its target",
      ["tier"],
    );
    this.rpoSource = gauge(
      "drbot_rpo_source_exposure_seconds",
      "Exposure of one data source protecting a tier (age of the newest good copy, or replication lag)",
      ["tier", "source", "kind"],
    );
    this.rpoSourceUnknown = gauge(
      "drbot_rpo_source_unknown",
      "1 when a data source of the tier could not be read",
      ["tier", "source"],
    );
    this.tierState = gauge(
      "drbot_rpo_tier_state",
      "1 for the tier's RPO state: within_design, late (a backup that should exist does not), unknown, beyond_target",
      ["tier", "state"],
    );
    this.sourceLate = gauge(
      "drbot_backup_late",
      "1 when a data source's recovery point that its cadence says should exist does not (replication: lag over its threshold)",
      ["source", "kind", "protects"],
    );
    this.sourceDesign = gauge(
      "drbot_backup_design_seconds",
      "The most a failover could lose by a source's design: its longest gap plus completion time (replication: lag threshold)",
      ["source", "kind"],
    );
    this.lagThreshold = gauge(
      "drbot_replication_lag_threshold_seconds",
      "A replicated source's lag alert threshold (lagAlert)",
      ["source"],
    );
    this.backupAge = gauge("drbot_backup_age_seconds", "Age of the newest good backup or snapshot", [
      "source",
      "kind",
    ]);
    this.replicationLag = gauge("drbot_replication_lag_seconds", "Database replication lag", ["source"]);
    this.siteUp = gauge("drbot_site_up", "1 when the site's API server answered", ["site", "role"]);
    this.siteReady = gauge("drbot_site_ready", "1 when the site is ready (API /readyz and a Ready node)", [
      "site",
      "role",
    ]);
    this.siteReadyNodes = gauge("drbot_site_ready_nodes", "Ready nodes of the site", ["site"]);
    this.siteNodes = gauge("drbot_site_nodes", "Nodes of the site", ["site"]);
    this.siteLatency = gauge("drbot_site_probe_seconds", "How long the site's health reading took", ["site"]);
    this.runs = gauge("drbot_runs", "Runs kept in the store (not yet retired) by kind and state", [
      "kind",
      "state",
    ]);
    this.activeRuns = gauge("drbot_active_runs", "Runs not in a terminal state", []);
    this.placementInPrimary = gauge(
      "drbot_placement_in_primary",
      "1 when drbot or its Redis runs in the primary site (it would go down with it)",
      ["component"],
    );
    this.placementKnown = gauge(
      "drbot_placement_known",
      "1 when it is known (configured or detected) where drbot or its Redis runs",
      ["component"],
    );
    this.sourceUp = gauge("drbot_metrics_source_up", "1 when the last scrape could read the source", [
      "source",
    ]);
    this.transitions = new Counter({
      name: "drbot_run_transitions_total",
      help: "Run state transitions seen by this process",
      labelNames: ["kind", "state"],
      registers,
    });
    this.stepDuration = new Histogram({
      name: "drbot_step_duration_seconds",
      help: "Duration of finished steps executed by this process",
      labelNames: ["step_kind", "status", "run_kind"],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.approvalWait = new Histogram({
      name: "drbot_approval_wait_seconds",
      help: "From the request to the last required approval",
      labelNames: ["kind"],
      buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "drbot_" });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * A gauge read at each scrape, for a reading kept outside this class (the configuration file's
   * state in `drbot serve`); `read` answers its value then.
   */
  addGauge(name: string, help: string, read: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** The exposition text: readings refreshed first (each source within the deadline), then everything. */
  async metrics(): Promise<string> {
    await Promise.all([this.readStatus(), this.readRuns(), this.readReadiness()]);
    return this.registry.metrics();
  }

  // ── run events ─────────────────────────────────────────────────────────────────────────────────

  onRunEvent(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void {
    if (event.type === "run.state" || event.type === "run.requested")
      this.transitions.inc({ kind: run.kind, state: run.state });
    if (event.type === "step.state" || event.type === "step.observed") this.observeStep(event, run, steps);
    if (run.state === "approved" && run.requiredApprovals > 0 && run.rto.approvedAt !== undefined) {
      if (remember(this.seenApprovals, run.id))
        this.approvalWait.observe(
          { kind: run.kind },
          Math.max(0, run.rto.approvedAt - run.rto.requestedAt) / 1000,
        );
    }
  }

  private observeStep(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void {
    const record = event.stepId ? steps.get(event.stepId) : undefined;
    if (
      !record ||
      !isStepFinished(record.status) ||
      record.startedAt === undefined ||
      record.endedAt === undefined
    )
      return;
    if (!remember(this.seenSteps, `${run.id}:${record.id}:${record.attempts}:${record.status}`)) return;
    const kind = run.plan.steps.find((s) => s.id === record.id)?.kind ?? "unknown";
    this.stepDuration.observe(
      { step_kind: kind, status: record.status, run_kind: run.kind },
      Math.max(0, record.endedAt - record.startedAt) / 1000,
    );
  }

  // ── readings ───────────────────────────────────────────────────────────────────────────────────

  private async readStatus(): Promise<void> {
    const report = await this.read("status", () => this.sources.status());
    for (const g of [
      this.rpoEffective,
      this.rpoTarget,
      this.rpoWithin,
      this.rpoSource,
      this.rpoSourceUnknown,
      this.tierState,
      this.sourceLate,
      this.sourceDesign,
      this.lagThreshold,
      this.backupAge,
      this.replicationLag,
      this.siteUp,
      this.siteReady,
      this.siteReadyNodes,
      this.siteNodes,
      this.siteLatency,
      this.placementInPrimary,
      this.placementKnown,
    ])
      (g as Gauge<string>).reset();
    this.sourceUp.set({ source: "status" }, report ? 1 : 0);
    if (!report) return;
    for (const t of report.rpo) {
      this.rpoTarget.set({ tier: t.tier }, t.targetMs / 1000);
      if (t.unprotected) continue;
      this.rpoEffective.set({ tier: t.tier }, t.effectiveMs / 1000);
      this.rpoWithin.set({ tier: t.tier }, t.withinTarget ? 1 : 0);
      for (const r of t.readings)
        if (r.exposureMs !== undefined)
          this.rpoSource.set({ tier: t.tier, source: r.source, kind: r.kind }, r.exposureMs / 1000);
      for (const source of t.unknown) this.rpoSourceUnknown.set({ tier: t.tier, source }, 1);
      for (const state of TIER_STATES) this.tierState.set({ tier: t.tier, state }, t.state === state ? 1 : 0);
      for (const s of t.sources) {
        if (s.state !== "unknown")
          this.sourceLate.set(
            { source: s.source, kind: s.kind, protects: s.protects },
            s.state === "late" ? 1 : 0,
          );
        if (s.designMs !== undefined)
          this.sourceDesign.set({ source: s.source, kind: s.kind }, s.designMs / 1000);
      }
    }
    for (const source of this.config.dataSources)
      if (source.kind === "postgres") this.lagThreshold.set({ source: source.name }, source.lagAlert / 1000);
    const readings = new Map(report.rpo.flatMap((t) => t.readings).map((r) => [r.source, r]));
    for (const r of readings.values()) {
      if (r.exposureMs === undefined) continue;
      if (BACKUP_KINDS.has(r.kind))
        this.backupAge.set({ source: r.source, kind: r.kind }, r.exposureMs / 1000);
      else this.replicationLag.set({ source: r.source }, r.exposureMs / 1000);
    }
    for (const s of report.sites) {
      this.siteUp.set({ site: s.site, role: s.role }, s.reachable ? 1 : 0);
      this.siteReady.set({ site: s.site, role: s.role }, s.ready ? 1 : 0);
      this.siteReadyNodes.set({ site: s.site }, s.readyNodes);
      this.siteNodes.set({ site: s.site }, s.nodes.length);
      this.siteLatency.set({ site: s.site }, s.latencyMs / 1000);
    }
    const primary = primarySite(this.config).name;
    for (const component of ["bot", "redis"] as const) {
      const located = report.placement?.[component];
      this.placementKnown.set({ component }, located?.site ? 1 : 0);
      this.placementInPrimary.set({ component }, located?.site === primary ? 1 : 0);
    }
  }

  /** A source's reading, or undefined when it failed or was late: drbot_source_up says so, and the log once. */
  private async read<T>(source: string, work: () => Promise<T>): Promise<T | undefined> {
    const outcome = await withDeadline(work(), this.deadlineMs);
    if ("value" in outcome) {
      if (this.down.delete(source))
        this.log.info(`metrics source ${source} answers again`, { operation: "metrics.read", source });
      return outcome.value;
    }
    if (!this.down.has(source)) {
      this.down.add(source);
      this.log.warn(`metrics source ${source} ${outcome.late ? "did not answer in time" : "failed"}`, {
        operation: "metrics.read",
        source,
        ...(outcome.late ? { deadlineMs: this.deadlineMs } : { err: outcome.error }),
      });
    }
    return undefined;
  }

  private async readReadiness(): Promise<void> {
    const read = this.sources.readiness;
    if (!read) return;
    const report = await this.read("readiness", () => read.call(this.sources));
    this.sourceUp.set({ source: "readiness" }, report === undefined && this.down.has("readiness") ? 0 : 1);
    this.readiness.set(report, this.now());
  }

  private async readRuns(): Promise<void> {
    const summary = await this.read("runs", () => this.sources.runSummary());
    this.runs.reset();
    this.sourceUp.set({ source: "runs" }, summary ? 1 : 0);
    if (!summary) return;
    for (const c of summary.counts) this.runs.set({ kind: c.kind, state: c.state }, c.runs);
    this.activeRuns.set(summary.active);
  }
}

function remember(seen: Set<string>, key: string): boolean {
  if (seen.has(key)) return false;
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.add(key);
  return true;
}

/** The value, the error, or that it took longer than `ms`. */
async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown; late?: false } | { late: true }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ late: true }>((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), ms);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
