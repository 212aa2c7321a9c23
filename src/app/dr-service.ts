import { randomBytes } from "node:crypto";
import { approve, isEligible, reject, voidApprovalsForDrift } from "../domain/approval.js";
import { APPROVAL_GATE_ITEM } from "../domain/approval-gate.js";
import type { Config, RunKind } from "../domain/config.js";
import { DrError, describeError } from "../domain/errors.js";
import { type Placement, placementWarnings } from "../domain/placement.js";
import { buildPlan } from "../domain/plan.js";
import {
  type RpoReading,
  rpoRiskOf,
  runExposure,
  type TierRpo,
  tierProblem,
  tierRpo,
} from "../domain/rpo.js";
import {
  type Decision,
  initialStepRecords,
  isTerminal,
  type Plan,
  type RunEvent,
  type RunMode,
  type RunRecord,
  type RunRestorePoints,
  type RunScope,
  type StepRecord,
} from "../domain/run.js";
import { annotationWarnings } from "../domain/run-annotations.js";
import type { Runbook } from "../domain/runbook.js";
import { resolveScope, scopeLockKeys, strictestTargets } from "../domain/scope.js";
import type { SiteHealth } from "../domain/site-health.js";
import type { StatusReport } from "../domain/status-report.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { StepKindRegistry } from "../engine/step-kinds/registry.js";
import type { Clock } from "../ports/clock.js";
import type { Directory } from "../ports/directory.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { ScopeRestorePoints } from "./velero-overview.js";

export interface DrServiceDeps {
  config: Config;
  runbooks: ReadonlyMap<string, Runbook>;
  store: RunStore;
  engine: RunEngine;
  registry: StepKindRegistry;
  clock: Clock;
  directory: Directory;
  observer: RunObserver;
  /** Current RPO readings from every data source (empty until the data-source adapters are wired). */
  readRpo?: () => Promise<RpoReading[]>;
  newRunId?: (kind: RunKind, now: number) => string;
  /**
   * Start executing a run as soon as it is approved (the bot). The CLI turns this off and drives
   * runs in the foreground instead, so a terminal that exits never leaves a step half done.
   */
  autoStart?: boolean;
  /** Reads one site's health; must not throw (an unreadable site reports itself as unreachable). */
  siteHealth?: (site: string) => Promise<SiteHealth>;
  /** How long `status` waits for a site before reporting it down. */
  statusDeadlineMs?: number;
  /** Where drbot and its Redis run (configured or detected); `status` warns when it is the primary. */
  placement?: Placement;
  /** Recent Velero backups protecting a scope, as its target site sees them (velero-overview.ts). */
  restorePoints?: (scope: Pick<RunScope, "applications" | "toSite">) => Promise<ScopeRestorePoints>;
  /** Where failures nobody waits for are logged (the composition root's logger; silent when left out). */
  log?: Logger;
}

export interface RequestInput {
  actor: string;
  runbook: string;
  targets: readonly string[];
  reason: string;
  source: "slack" | "cli" | "watcher" | "schedule";
  channel?: string;
  /** Slack's retries and double submissions carry the same key; only the first creates a run. */
  dedupeKey?: string;
  mode?: RunMode;
  detectedAt?: number;
  pins?: Record<string, string>;
}

export type RequestOutcome = { run: RunRecord; duplicate: boolean; exposure: TierRpo | undefined };

const AUDIT_STREAM = "_audit";
/** Who requests the calendar's verify runs: drbot itself, as the configuration (reviewed by people) says. */
export const SCHEDULE_ACTOR = "drbot";
const DEDUPE_TTL_MS = 10 * 60_000;
const REASON_MAX = 500;
/** The scope lock's lease while a request is being written, and once it exists (renewed while it runs). */
const SCOPE_CLAIM_TTL_MS = 30_000;
/** How long one reading of the sites answers `status` for everyone. */
const STATUS_REUSE_MS = 2_000;
const SCOPE_RUN_TTL_MS = 6 * 3_600_000;

/**
 * The use cases every surface calls (Slack, the CLI, the watcher): request, approve, reject, abort,
 * resume, skip, tick, pause, and the reads. Each checks who may do it, records refusals in the audit
 * trail, and changes state only through compare-and-set writes.
 */
export class DrService {
  constructor(private readonly d: DrServiceDeps) {}

  get config(): Config {
    return this.d.config;
  }

  runbook(name: string): Runbook {
    const found = this.d.runbooks.get(name);
    if (!found)
      throw new DrError(
        "invalid_input",
        `no runbook named "${name}"; known: ${[...this.d.runbooks.keys()].join(", ")}`,
      );
    return found;
  }

  runbookFor(kind: RunKind): Runbook {
    const found = [...this.d.runbooks.values()].find((r) => r.kind === kind);
    if (!found) throw new DrError("invalid_input", `no ${kind} runbook is loaded`);
    return found;
  }

  plan(input: {
    runbook: string;
    targets: readonly string[];
    mode?: RunMode;
    pins?: Record<string, string>;
  }): Plan {
    const runbook = this.runbook(input.runbook);
    const scope = resolveScope(this.d.config, input.targets, runbook.kind);
    const mode = input.mode ?? (runbook.kind === "drill" ? "drill" : "real");
    return buildPlan({
      runbook,
      config: this.d.config,
      scope,
      mode,
      catalog: this.d.registry,
      ...(input.pins ? { pins: input.pins } : {}),
    });
  }

  /**
   * The restore points a run could use, for the approval card and `/dr failover --backup NAME`:
   * recent backups of each Velero schedule protecting the scope, with their times and whether each
   * is usable. Empty when this process has no Velero access; a site without Velero says so.
   */
  /** The five newest backups per schedule for the approval card, within the status deadline. */
  private async restorePointsOnCard(
    scope: Pick<RunScope, "applications" | "toSite">,
  ): Promise<RunRestorePoints[]> {
    const found = await withDeadline(
      this.restorePoints(scope).catch(() => []),
      this.d.statusDeadlineMs ?? 2_000,
      [] as ScopeRestorePoints,
    );
    return found.map((entry) =>
      entry.installed === true
        ? {
            source: entry.source,
            schedule: entry.schedule,
            backups: entry.backups
              .slice(0, 5)
              .map((b) => ({ name: b.name, dataAt: b.dataAt, phase: b.phase, good: b.good })),
          }
        : { source: entry.source, schedule: entry.schedule, detail: entry.detail, backups: [] },
    );
  }

  async restorePoints(scope: Pick<RunScope, "applications" | "toSite">): Promise<ScopeRestorePoints> {
    return this.d.restorePoints ? this.d.restorePoints(scope) : [];
  }

  async rpo(): Promise<TierRpo[]> {
    const readings = this.d.readRpo ? await this.d.readRpo() : [];
    return tierRpo(this.d.config, readings, this.d.clock.now());
  }

  /**
   * Health of both sites, RPO per tier, active runs: answered within the status deadline whatever
   * the sites do. A site that has not answered by then is reported down, with the reason.
   */
  async status(): Promise<StatusReport> {
    // Fifty people typing /dr status during an outage get one reading of the sites, not fifty:
    // concurrent callers share the reading in flight, and a reading serves for a short while.
    const now = Date.now();
    if (this.statusCache && now - this.statusCache.at < STATUS_REUSE_MS) return this.statusCache.report;
    this.statusInFlight ??= this.readStatus()
      .then((report) => {
        this.statusCache = { at: Date.now(), report };
        return report;
      })
      .finally(() => {
        this.statusInFlight = undefined;
      });
    return this.statusInFlight;
  }

  private statusInFlight: Promise<StatusReport> | undefined;
  private statusCache: { at: number; report: StatusReport } | undefined;

  private async readStatus(): Promise<StatusReport> {
    const started = Date.now();
    const deadlineMs = this.d.statusDeadlineMs ?? 2_000;
    // Sites, data sources and runs are read at the same time: the answer takes the slowest of them,
    // bounded by the deadline, never their sum.
    // A data source that has not answered by the deadline (or whose reading failed) is unknown, and
    // the answer says why, so nobody reads "unknown" without a reason.
    const unread = (detail: string) =>
      tierRpo(
        this.d.config,
        this.d.config.dataSources.map((source) => ({
          source: source.name,
          kind: source.kind,
          exposureMs: undefined,
          at: started,
          detail,
        })),
        started,
      );
    const rpoReading = withDeadline(
      this.rpo().catch((error: unknown) => unread(`could not be read: ${describeError(error)}`)),
      deadlineMs,
      undefined,
    ).then((tiers) => tiers ?? unread(`no answer within ${deadlineMs} ms`));
    const activeReading = this.activeRuns();
    // Awaited below; marked handled now so a Redis failure while the sites answer is not "unhandled".
    activeReading.catch(() => undefined);
    const sites = await Promise.all(
      this.d.config.sites.map(async (site) => {
        const fallback: SiteHealth = {
          site: site.name,
          reachable: false,
          ready: false,
          nodes: [],
          readyNodes: 0,
          latencyMs: deadlineMs,
          error: { code: "timeout", message: `no answer within ${deadlineMs} ms` },
        };
        const health = this.d.siteHealth
          ? await withDeadline(
              this.d.siteHealth(site.name).catch((error: Error) => ({
                ...fallback,
                error: { code: "unavailable", message: error.message },
              })),
              deadlineMs,
              fallback,
            )
          : { ...fallback, error: { code: "unavailable", message: "no Kubernetes access configured" } };
        return { ...health, role: site.role };
      }),
    );
    const [rpo, activeRuns] = await Promise.all([rpoReading, activeReading]);
    const warnings: string[] = [];
    const dr = sites.find((s) => s.role === "dr");
    if (dr && !dr.reachable) warnings.push(`the DR site ${dr.site} is not reachable: a failover cannot run`);
    for (const t of rpo) {
      const problem = tierProblem(t);
      if (problem) warnings.push(problem);
    }
    const placement = this.d.placement;
    if (placement) warnings.push(...placementWarnings(this.d.config, placement));
    for (const run of activeRuns) warnings.push(...annotationWarnings(run));
    return {
      sites,
      rpo,
      activeRuns,
      warnings,
      ...(placement ? { placement } : {}),
      tookMs: Date.now() - started,
    };
  }

  async request(input: RequestInput): Promise<RequestOutcome> {
    const now = this.d.clock.now();
    const runbook = this.runbook(input.runbook);
    const byCalendar =
      input.source === "schedule" && input.actor === SCHEDULE_ACTOR && runbook.kind === "verify";
    if (!byCalendar)
      await this.requirePrincipal(
        input.actor,
        runbook.kind,
        "requesters",
        `request ${runbook.kind} runs`,
        undefined,
      );
    const reason = cleanReason(input.reason);
    if (input.dedupeKey) {
      const seen = await this.d.store.dedupe(`request:${input.dedupeKey}`, "pending", DEDUPE_TTL_MS);
      if (!seen.first) {
        const run = await this.waitForDedupedRun(seen.value, input.dedupeKey);
        return { run, duplicate: true, exposure: undefined };
      }
    }
    const plan = this.plan({
      runbook: runbook.name,
      targets: input.targets,
      ...(input.mode ? { mode: input.mode } : {}),
      ...(input.pins ? { pins: input.pins } : {}),
    });
    const targets = strictestTargets(this.d.config, plan.scope);
    const [readings, restorePoints] = await Promise.all([
      this.rpo().catch(() => []),
      runbook.kind === "failover" ? this.restorePointsOnCard(plan.scope) : Promise.resolve(undefined),
    ]);
    const exposure = runExposure(readings, plan.scope.tiers);
    // Only a real failover loses data: drills leave the primary running, failback follows a sync.
    // Without any RPO reader (no data-source adapters in this process) nothing is measured, and the
    // card says "not measured" rather than asking people to accept an unknown.
    const rpoRisk =
      this.d.readRpo && runbook.kind === "failover" && plan.mode === "real" ? rpoRiskOf(exposure) : undefined;
    const required = runbook.approvals.required ?? this.d.config.approvals.required[runbook.kind];
    const expiryMs = runbook.approvals.expiry ?? this.d.config.approvals.expiry;
    const id = (this.d.newRunId ?? defaultRunId)(runbook.kind, now);
    const run: RunRecord = {
      id,
      kind: runbook.kind,
      mode: plan.mode,
      runbook: runbook.name,
      scopeKey: scopeLockKeys(plan.scope, runbook.kind).join(","),
      scope: plan.scope,
      plan,
      state: required > 0 ? "pending_approval" : "approved",
      requestedBy: input.actor,
      reason,
      ...(input.channel ? { channel: input.channel } : {}),
      source: input.source,
      requiredApprovals: required,
      approvals: [],
      decisions: [],
      expiresAt: now + expiryMs,
      createdAt: now,
      updatedAt: now,
      rto: {
        requestedAt: now,
        ...(input.detectedAt !== undefined ? { detectedAt: input.detectedAt } : {}),
        ...(required === 0 ? { approvedAt: now } : {}),
      },
      tierRtoMs: targets.rtoMs,
      tierRpoMs: targets.rpoMs,
      ...(exposure && Number.isFinite(exposure.effectiveMs) ? { rpoExposureMs: exposure.effectiveMs } : {}),
      ...(rpoRisk ? { rpoRisk } : {}),
      ...(restorePoints && restorePoints.length > 0 ? { restorePoints } : {}),
      version: 1,
      annotations: {},
    };
    try {
      await this.acquireScope(run);
    } catch (error) {
      if (input.dedupeKey)
        await this.d.store.settleDedupe(`request:${input.dedupeKey}`, "refused", DEDUPE_TTL_MS);
      throw error;
    }
    const event = this.event(run.id, input.actor, "run.requested", {
      runbook: runbook.name,
      scope: plan.scope,
      planHash: plan.hash,
      reason,
      source: input.source,
      required,
    });
    try {
      await this.d.store.createRun(run, initialStepRecords(plan), event);
    } catch (error) {
      await this.d.store.releaseScope(scopeLockKeys(plan.scope, runbook.kind), run.id);
      throw error;
    }
    await this.d.store.renewScope(
      scopeLockKeys(plan.scope, runbook.kind),
      run.id,
      Math.max(expiryMs * 2, SCOPE_RUN_TTL_MS),
    );
    if (input.dedupeKey) await this.d.store.settleDedupe(`request:${input.dedupeKey}`, run.id, DEDUPE_TTL_MS);
    this.d.observer.onRunEvent(event, run, new Map());
    if (run.state === "approved") this.startInBackground(run.id);
    return { run, duplicate: false, exposure };
  }

  async approve(input: {
    actor: string;
    runId: string;
    planHash: string;
    /** The approver accepts a data loss beyond the tier's RPO (required when the run has an rpoRisk). */
    acceptsDataLoss?: boolean;
  }): Promise<{ run: RunRecord; started: boolean }> {
    const eligible = await this.isPrincipal(input.actor, await this.kindOf(input.runId), "approvers");
    const result = await this.mutate(
      input.runId,
      input.actor,
      (run, now) =>
        approve({
          run,
          userId: input.actor,
          eligible,
          planHash: input.planHash,
          now,
          acceptsDataLoss: input.acceptsDataLoss === true,
        }),
      "run.approval",
      (run) => ({
        approvals: run.approvals.length,
        required: run.requiredApprovals,
        state: run.state,
        ...(run.rpoRisk ? { acceptedDataLoss: true } : {}),
      }),
    );
    if (result.state !== "approved") return { run: result, started: false };
    // Last approval: the plan is computed again; if it drifted, the approvals are void.
    const fresh = this.plan({
      runbook: result.runbook,
      targets: result.scope.applications,
      mode: result.mode,
      pins: result.plan.pins,
    });
    if (fresh.hash !== result.plan.hash) {
      const runbook = this.runbook(result.runbook);
      const expiry = runbook.approvals.expiry ?? this.d.config.approvals.expiry;
      const voided = await this.mutate(
        input.runId,
        "drbot",
        (run, now) =>
          run.state === "approved"
            ? {
                ok: true,
                run: voidApprovalsForDrift(
                  run,
                  fresh,
                  now,
                  expiry,
                  "the plan changed before the run started",
                ),
              }
            : { ok: false, code: "already_decided", message: "already started" },
        "run.state",
        () => ({ state: "pending_approval", reason: "plan drift", planHash: fresh.hash }),
      );
      return { run: voided, started: false };
    }
    this.startInBackground(result.id);
    return { run: result, started: true };
  }

  async reject(input: { actor: string; runId: string; note?: string }): Promise<RunRecord> {
    const eligible = await this.isPrincipal(input.actor, await this.kindOf(input.runId), "approvers");
    const note = input.note ? cleanReason(input.note) : undefined;
    const run = await this.mutate(
      input.runId,
      input.actor,
      (r, now) => reject({ run: r, userId: input.actor, eligible, now, ...(note ? { note } : {}) }),
      "run.state",
      (r) => ({ state: r.state, by: input.actor }),
    );
    await this.d.store.releaseScope(scopeLockKeys(run.scope, run.kind), run.id);
    return run;
  }

  /**
   * Aborts a run. A request still waiting for approval is withdrawn at once; an executing run is
   * asked to stop (its executor acts within a second) and, if nobody executes it, stopped here.
   */
  async abort(input: { actor: string; runId: string; note?: string }): Promise<RunRecord> {
    const run = await this.requireRun(input.runId);
    await this.requireOperator(input.actor, run, "abort this run");
    const note = input.note ? cleanReason(input.note) : undefined;
    const decision: Decision = {
      userId: input.actor,
      at: this.d.clock.now(),
      decision: "aborted",
      ...(note ? { note } : {}),
    };
    const updated = await this.mutate(
      input.runId,
      input.actor,
      (r, now) => {
        if (isTerminal(r.state))
          return { ok: false, code: "already_decided", message: `run ${r.id} already ended (${r.state})` };
        if (
          r.state === "running" ||
          r.state === "approved" ||
          r.state === "interrupted" ||
          r.state === "waiting_manual"
        ) {
          return {
            ok: true,
            run: {
              ...r,
              control: { action: "abort", userId: input.actor, at: now, ...(note ? { note } : {}) },
              decisions: [...r.decisions, decision],
            },
          };
        }
        return {
          ok: true,
          run: {
            ...r,
            state: "aborted",
            stateReason: `aborted by ${input.actor}${note ? `: ${note}` : ""}`,
            decisions: [...r.decisions, decision],
          },
        };
      },
      "run.state",
      (r) => ({ state: r.state, control: r.control?.action, by: input.actor }),
    );
    if (isTerminal(updated.state)) {
      await this.d.store.releaseScope(scopeLockKeys(updated.scope, updated.kind), updated.id);
      return updated;
    }
    await this.driveSoon(updated.id);
    return (await this.d.store.getRun(updated.id)) ?? updated;
  }

  async pause(input: { actor: string; runId: string }): Promise<RunRecord> {
    const run = await this.requireRun(input.runId);
    await this.requireOperator(input.actor, run, "pause this run");
    return this.mutate(
      input.runId,
      input.actor,
      (r, now) =>
        r.state === "running" || r.state === "waiting_manual"
          ? {
              ok: true,
              run: {
                ...r,
                control: { action: "pause", userId: input.actor, at: now },
                decisions: [...r.decisions, { userId: input.actor, at: now, decision: "paused" }],
              },
            }
          : {
              ok: false,
              code: "invalid_state",
              message: `run ${r.id} is ${r.state}; only a running run can be paused`,
            },
      "run.note",
      () => ({ control: "pause", by: input.actor }),
    );
  }

  /** Resumes a paused run: failed steps that paused it run again. Changing production needs an approver. */
  async resume(input: { actor: string; runId: string }): Promise<RunRecord> {
    const run = await this.requireRun(input.runId);
    await this.requireResumer(input.actor, run);
    if (run.state !== "paused_failed_step" && run.state !== "paused_by_operator") {
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("invalid_state", `run ${run.id} is ${run.state}; only a paused run can be resumed`),
      );
    }
    const steps = await this.d.store.getSteps(run.id);
    for (const step of run.plan.steps) {
      const record = steps.get(step.id);
      if (
        record &&
        (record.status === "failed" || record.status === "timed_out") &&
        step.onFailure !== "continue"
      ) {
        await this.d.store.putStep(
          run.id,
          { ...record, status: "not_started", error: undefined },
          this.event(
            run.id,
            input.actor,
            "step.state",
            { status: "not_started", resumedBy: input.actor },
            step.id,
          ),
        );
      }
    }
    const updated = await this.mutate(
      run.id,
      input.actor,
      (r, now) =>
        r.state === "paused_failed_step" || r.state === "paused_by_operator"
          ? {
              ok: true,
              run: {
                ...r,
                state: "running",
                stateReason: `resumed by ${input.actor}`,
                control: undefined,
                decisions: [...r.decisions, { userId: input.actor, at: now, decision: "resumed" }],
              },
            }
          : { ok: false, code: "invalid_state", message: `run ${r.id} is ${r.state}` },
      "run.state",
      () => ({ state: "running", by: input.actor }),
    );
    await this.driveSoon(updated.id);
    return (await this.d.store.getRun(updated.id)) ?? updated;
  }

  async skip(input: { actor: string; runId: string; stepId: string }): Promise<RunRecord> {
    const run = await this.requireRun(input.runId);
    await this.requireResumer(input.actor, run);
    const steps = await this.d.store.getSteps(run.id);
    const record = steps.get(input.stepId);
    if (!record)
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("invalid_input", `run ${run.id} has no step "${input.stepId}"`),
      );
    if (record.status === "succeeded" || record.status === "skipped" || record.status === "running") {
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("invalid_state", `step ${input.stepId} is ${record.status}; it cannot be skipped`),
      );
    }
    if (isTerminal(run.state))
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("already_decided", `run ${run.id} already ended (${run.state})`),
      );
    const now = this.d.clock.now();
    await this.d.store.addAttestation(
      run.id,
      input.stepId,
      { item: "skipped", userId: input.actor, at: now },
      this.event(run.id, input.actor, "step.attestation", { item: "skipped" }, input.stepId),
    );
    await this.d.store.putStep(
      run.id,
      { ...record, status: "skipped", endedAt: now, resolvedBy: "operator" },
      this.event(run.id, input.actor, "step.state", { status: "skipped", by: input.actor }, input.stepId),
    );
    const updated = await this.mutate(
      run.id,
      input.actor,
      (r, at) => {
        const decisions = [
          ...r.decisions,
          { userId: input.actor, at, decision: "skipped" as const, note: input.stepId },
        ];
        if (r.state === "paused_failed_step" || r.state === "paused_by_operator")
          return {
            ok: true,
            run: {
              ...r,
              state: "running",
              stateReason: `${input.stepId} skipped by ${input.actor}`,
              decisions,
            },
          };
        return { ok: true, run: { ...r, decisions } };
      },
      "run.note",
      () => ({ skipped: input.stepId, by: input.actor }),
    );
    await this.driveSoon(updated.id);
    return (await this.d.store.getRun(updated.id)) ?? updated;
  }

  /** Ticks a checklist item (or approves an in-run gate). Ticking twice is harmless. */
  async tick(input: {
    actor: string;
    runId: string;
    stepId: string;
    item: string;
  }): Promise<{ run: RunRecord; step: StepRecord }> {
    const run = await this.requireRun(input.runId);
    const planStep = run.plan.steps.find((s) => s.id === input.stepId);
    const steps = await this.d.store.getSteps(run.id);
    const record = steps.get(input.stepId);
    if (!planStep || !record)
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("invalid_input", `run ${run.id} has no step "${input.stepId}"`),
      );
    if (isTerminal(run.state))
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("already_decided", `run ${run.id} already ended (${run.state})`),
      );
    if (record.status !== "waiting")
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError(
          "invalid_state",
          `step ${input.stepId} is not waiting for a person (it is ${record.status})`,
        ),
      );
    if (planStep.kind === "checklist") {
      const items = (planStep.params.items as string[]) ?? [];
      if (!items.includes(input.item))
        throw await this.refuse(
          run.id,
          input.actor,
          new DrError("invalid_input", `"${input.item}" is not an item of ${input.stepId}`),
        );
      await this.requireOperator(input.actor, run, "tick checklist items");
    } else if (planStep.kind === "approval") {
      if (input.item !== APPROVAL_GATE_ITEM)
        throw await this.refuse(
          run.id,
          input.actor,
          new DrError("invalid_input", "an approval gate is approved, not ticked"),
        );
      if (input.actor === run.requestedBy)
        throw await this.refuse(
          run.id,
          input.actor,
          new DrError("self_approval", "you requested this run; the gate needs someone else"),
        );
      if (!(await this.isPrincipal(input.actor, run.kind, "approvers")))
        throw await this.refuse(
          run.id,
          input.actor,
          new DrError("not_eligible", `you are not an approver for ${run.kind} runs`),
        );
    } else {
      throw await this.refuse(
        run.id,
        input.actor,
        new DrError("invalid_input", `step ${input.stepId} has nothing to tick`),
      );
    }
    const now = this.d.clock.now();
    const attestation = { item: input.item, userId: input.actor, at: now };
    const ev = this.event(run.id, input.actor, "step.attestation", { item: input.item }, input.stepId);
    // Atomic and apart from the step record: an executor writing the step cannot lose a tick.
    const added = await this.d.store.addAttestation(run.id, input.stepId, attestation, ev);
    let step = record;
    if (added) {
      step = { ...record, attestations: [...(record.attestations ?? []), attestation] };
      // Bump the run's version so an executor deciding to wait re-reads instead of missing the tick.
      await this.mutate(
        run.id,
        input.actor,
        (r) => ({ ok: true, run: { ...r } }),
        "run.note",
        () => ({ tick: input.item, step: input.stepId }),
      );
      const fresh = (await this.d.store.getRun(run.id)) ?? run;
      this.d.observer.onRunEvent(ev, fresh, await this.d.store.getSteps(run.id));
    }
    await this.driveSoon(run.id);
    return { run: (await this.d.store.getRun(run.id)) ?? run, step };
  }

  async show(runId: string): Promise<{ run: RunRecord; steps: Map<string, StepRecord>; events: RunEvent[] }> {
    const run = await this.requireRun(runId);
    const [steps, events] = await Promise.all([this.d.store.getSteps(runId), this.d.store.readEvents(runId)]);
    return { run, steps, events };
  }

  async runs(limit = 20): Promise<RunRecord[]> {
    return this.d.store.listRuns({ limit });
  }

  async activeRuns(): Promise<RunRecord[]> {
    const ids = await this.d.store.listActiveRunIds();
    const runs = await Promise.all(ids.map((id) => this.d.store.getRun(id)));
    return runs.filter((r): r is RunRecord => r !== undefined && !isTerminal(r.state));
  }

  /**
   * Housekeeping every process runs periodically: requests past their expiry become `expired`, and
   * runs that should be executing but have no live owner are taken over.
   */
  async supervise(): Promise<{ expired: string[]; driven: string[] }> {
    const expired: string[] = [];
    const driven: string[] = [];
    for (const run of await this.activeRuns()) {
      if (run.state === "pending_approval" && this.d.clock.now() >= run.expiresAt) {
        const done = await this.mutate(
          run.id,
          "drbot",
          (r, now) =>
            r.state === "pending_approval" && now >= r.expiresAt
              ? {
                  ok: true,
                  run: { ...r, state: "expired", stateReason: "no decision before the approval expiry" },
                }
              : { ok: false, code: "already_decided", message: "decided" },
          "run.state",
          () => ({ state: "expired" }),
        ).catch(() => undefined);
        if (done) {
          await this.d.store.releaseScope(scopeLockKeys(done.scope, done.kind), done.id);
          expired.push(run.id);
        }
      } else if (
        (run.state === "approved" || run.state === "running" || run.state === "interrupted") &&
        !(await this.d.store.leaseHolder(run.id))
      ) {
        driven.push(run.id);
        this.startInBackground(run.id);
      }
    }
    return { expired, driven };
  }

  /** Audits bad input that never reached a run (unknown scope, malformed flags). */
  async auditRefusal(actor: string, error: DrError, data: Record<string, unknown> = {}): Promise<void> {
    await this.d.store
      .appendAudit(
        this.event(AUDIT_STREAM, actor, "run.refusal", { code: error.code, message: error.message, ...data }),
      )
      .catch((failure: unknown) =>
        this.d.log?.warn("could not record a refusal in the audit stream", {
          operation: "service.audit-refusal",
          err: failure,
        }),
      );
  }

  /** The newest refusals that belong to no run's trail (bad input, people with no role on the run). */
  async auditTrail(limit = 100): Promise<RunEvent[]> {
    return this.d.store.readAudit({ limit });
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private startInBackground(runId: string): void {
    if (this.d.autoStart === false) return;
    void this.d.engine.drive(runId).catch(() => undefined);
  }

  /**
   * Drives the run in the background after a person acted (tick, resume, skip, abort). If another
   * process holds the lease at that instant, tries again until it lets go (bounded), so the action is
   * never lost between two executors.
   */
  private async driveSoon(runId: string): Promise<void> {
    if (this.d.autoStart === false) return;
    const deadline = Date.now() + 30_000;
    const attempt = async (): Promise<void> => {
      const outcome = await this.d.engine.drive(runId).catch(() => undefined);
      if (outcome && !outcome.driven && outcome.reason === "held" && Date.now() < deadline) {
        setTimeout(() => void attempt(), 100).unref();
      }
    };
    void attempt();
  }

  private async waitForDedupedRun(value: string, key: string): Promise<RunRecord> {
    const deadline = Date.now() + 5_000;
    let current = value;
    while (current === "pending" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const again = await this.d.store.dedupe(`request:${key}`, "pending", DEDUPE_TTL_MS);
      current = again.first ? "pending" : again.value;
    }
    const run =
      current !== "pending" && current !== "refused" ? await this.d.store.getRun(current) : undefined;
    if (!run) throw new DrError("conflict", "this request was already received and is being handled");
    return run;
  }

  /**
   * Takes the scope for a new request. The lock is taken with a short lease first and extended once
   * the run exists, so a crash between the two writes frees the scope within seconds.
   */
  private async acquireScope(run: RunRecord): Promise<void> {
    const keys = scopeLockKeys(run.scope, run.kind);
    for (let attempt = 0; attempt < 2; attempt++) {
      const got = await this.d.store.acquireScope(keys, run.id, SCOPE_CLAIM_TTL_MS);
      if (got.ok) return;
      const holder = await this.awaitRun(got.heldBy, 2_000);
      if (!holder) {
        const error = new DrError("scope_busy", `request ${got.heldBy} for this scope is being created`, {
          runId: got.heldBy,
          owner: "unknown",
          state: "being requested",
        });
        throw await this.refuse(AUDIT_STREAM, run.requestedBy, error);
      }
      if (!isTerminal(holder.state)) {
        const error = new DrError(
          "scope_busy",
          `run ${holder.id} (${holder.kind}, requested by ${holder.requestedBy}) is ${holder.state} for this scope`,
          { runId: holder.id, owner: holder.requestedBy, state: holder.state },
        );
        throw await this.refuse(AUDIT_STREAM, run.requestedBy, error);
      }
      // The holder ended without releasing (a crash between the two writes): heal and retry.
      await this.d.store.releaseScope(keys, got.heldBy);
    }
    throw new DrError("conflict", "the scope lock kept changing; try again");
  }

  /** A run whose scope lock exists may be a moment from being written: wait for it, bounded. */
  private async awaitRun(runId: string, timeoutMs: number): Promise<RunRecord | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.d.store.getRun(runId);
      if (run || Date.now() >= deadline) return run;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async mutate(
    runId: string,
    actor: string,
    change: (
      run: RunRecord,
      now: number,
    ) => { ok: true; run: RunRecord } | { ok: false; code: DrError["code"]; message: string },
    eventType: RunEvent["type"],
    eventData: (run: RunRecord) => Record<string, unknown>,
  ): Promise<RunRecord> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const run = await this.requireRun(runId);
      const now = this.d.clock.now();
      const outcome = change(run, now);
      if (!outcome.ok) throw await this.refuse(runId, actor, new DrError(outcome.code, outcome.message));
      const next = { ...outcome.run, version: run.version + 1, updatedAt: now };
      const ev = this.event(runId, actor, eventType, eventData(next));
      if (await this.d.store.updateRun(next, run.version, ev)) {
        this.d.observer.onRunEvent(ev, next, new Map());
        return next;
      }
    }
    throw new DrError("conflict", `run ${runId} is changing too fast; try again`);
  }

  /**
   * Records a refusal. It joins the run's trail only when the actor has a role on that run (its
   * requester, or an approver of its kind); refusals of anyone else, and those that belong to no
   * run, go to the capped audit stream, so a stranger clicking cannot grow a run's trail.
   */
  private async refuse(runId: string, actor: string, error: DrError): Promise<DrError> {
    await this.recordRefusal(runId, actor, error).catch((failure: unknown) =>
      this.d.log?.warn("could not record a refusal in the audit trail", {
        operation: "service.refuse",
        runId,
        err: failure,
      }),
    );
    return error;
  }

  private async recordRefusal(runId: string, actor: string, error: DrError): Promise<void> {
    const event = this.event(runId, actor, "run.refusal", { code: error.code, message: error.message });
    const run = runId === AUDIT_STREAM ? undefined : await this.d.store.getRun(runId);
    const hasRole =
      run !== undefined &&
      (actor === run.requestedBy || (await this.isPrincipal(actor, run.kind, "approvers")));
    if (hasRole) await this.d.store.appendEvent(event);
    else await this.d.store.appendAudit(event);
  }

  private async requireRun(runId: string): Promise<RunRecord> {
    if (!/^[a-z0-9-]{1,64}$/.test(runId))
      throw new DrError("invalid_input", `"${runId.slice(0, 40)}" is not a run id`);
    const run = await this.d.store.getRun(runId);
    if (run) return run;
    if ((await this.d.store.readArchive(runId)) !== undefined)
      throw new DrError(
        "unknown_run",
        `run ${runId} finished long ago and was retired; its report is kept: \`report ${runId}\``,
      );
    throw new DrError("unknown_run", `no run ${runId}; see \`runs\` for recent ones`);
  }

  private async kindOf(runId: string): Promise<RunKind> {
    return (await this.requireRun(runId)).kind;
  }

  private async isPrincipal(
    userId: string,
    kind: RunKind,
    role: "requesters" | "approvers",
  ): Promise<boolean> {
    const principals = this.d.config.slack.permissions[kind][role];
    const groups =
      principals.groups.length > 0 ? await this.d.directory.groupsOf(userId).catch(() => []) : [];
    return isEligible(principals, userId, groups);
  }

  private async requirePrincipal(
    userId: string,
    kind: RunKind,
    role: "requesters" | "approvers",
    what: string,
    runId: string | undefined,
  ): Promise<void> {
    if (await this.isPrincipal(userId, kind, role)) return;
    throw await this.refuse(
      runId ?? AUDIT_STREAM,
      userId,
      new DrError("not_permitted", `you may not ${what}`),
    );
  }

  /** The requester or any approver of the run's kind may operate it (abort, pause, tick). */
  private async requireOperator(userId: string, run: RunRecord, what: string): Promise<void> {
    if (userId === run.requestedBy || (await this.isPrincipal(userId, run.kind, "approvers"))) return;
    throw await this.refuse(run.id, userId, new DrError("not_permitted", `you may not ${what}`));
  }

  /** Resuming or skipping changes what production sees: an approver must do it (drills: the requester too). */
  private async requireResumer(userId: string, run: RunRecord): Promise<void> {
    if (run.mode === "drill" && userId === run.requestedBy) return;
    if (await this.isPrincipal(userId, run.kind, "approvers")) return;
    throw await this.refuse(
      run.id,
      userId,
      new DrError("not_permitted", `only ${run.kind} approvers may resume or skip steps of this run`),
    );
  }

  private event(
    runId: string,
    actor: string,
    type: RunEvent["type"],
    data: Record<string, unknown>,
    stepId?: string,
  ): RunEvent {
    return { type, at: this.d.clock.now(), actor, runId, ...(stepId ? { stepId } : {}), data };
  }
}

export function defaultRunId(kind: RunKind, now: number): string {
  const d = new Date(now);
  const stamp = `${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}-${String(d.getUTCHours()).padStart(2, "0")}${String(d.getUTCMinutes()).padStart(2, "0")}`;
  const suffix = randomBytes(3).toString("hex");
  return `${kind}-${stamp}-${suffix}`;
}

function withDeadline<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Reasons are shown to people: one line, no control characters, bounded. */
export function cleanReason(text: string): string {
  const cleaned = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (cleaned.length > REASON_MAX) return `${cleaned.slice(0, REASON_MAX - 1)}…`;
  return cleaned;
}
