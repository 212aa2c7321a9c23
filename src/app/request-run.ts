import { randomBytes } from "node:crypto";
import type { RunKind } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { refusePermission, SCHEDULE_ACTOR } from "../domain/permissions.js";
import type { TierRpo } from "../domain/rpo.js";
import {
  initialStepRecords,
  type Plan,
  type RunMode,
  type RunRecord,
  type RunRestorePoints,
} from "../domain/run.js";
import { openRun } from "../domain/run-state/request.js";
import { scopeLockKeys, strictestTargets } from "../domain/scope.js";
import type { Serving } from "../domain/site-state.js";
import type { Witness } from "../ports/evidence.js";
import { answerWithin } from "./answer-within.js";
import type { AppContext } from "./app-context.js";
import { claimScope, SCOPE_RUN_TTL_MS } from "./claim-scope.js";
import { proveAction } from "./prove-action.js";
import { readDataLoss } from "./read-data-loss.js";
import { readRunReadiness } from "./read-readiness.js";
import { readServing } from "./read-serving.js";
import { AUDIT_STREAM } from "./run-writer.js";
import type { ScopeRestorePoints } from "./velero-overview.js";

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
  /** Take along the applications that share a DNS record with the targets (`--with-shared`). */
  withShared?: boolean;
  /**
   * The requester's proof (Slack's signed command or click, or a signer of their SSH key on the
   * CLI), kept on the run; the calendar's requests by drbot itself carry none.
   */
  witness?: Witness;
}

export type RequestOutcome = { run: RunRecord; duplicate: boolean; exposure: TierRpo | undefined };

export { SCHEDULE_ACTOR };

const DEDUPE_TTL_MS = 10 * 60_000;
const DEDUPE_WAIT_MS = 5_000;
const DEDUPE_POLL_MS = 25;
const REASON_MAX = 500;
/** Restore points shown on the approval card, per schedule. */
const CARD_RESTORE_POINTS = 5;

/**
 * A person (or the watcher, or the calendar) asks for a run: the plan for the scope, the data at
 * risk, the approvals it needs. One active run per scope; a command Slack delivers twice gives one.
 */
export async function requestRun(ctx: AppContext, input: RequestInput): Promise<RequestOutcome> {
  const now = ctx.clock.now();
  const runbook = ctx.plans.runbook(input.runbook);
  const scheduler = input.source === "schedule" && input.actor === SCHEDULE_ACTOR;
  const actor = await ctx.actors.of(input.actor, runbook.kind, { scheduler, role: "requester" });
  const refusal = refusePermission("request", actor, { kind: runbook.kind, mode: "real", requestedBy: "" });
  if (refusal) throw await ctx.writer.refuse(AUDIT_STREAM, input.actor, refusal);
  const reason = cleanReason(input.reason);
  const dedupeKey = input.dedupeKey ? `request:${input.dedupeKey}` : undefined;
  if (dedupeKey) {
    const seen = await ctx.store.dedupe(dedupeKey, "pending", DEDUPE_TTL_MS);
    if (!seen.first)
      return {
        run: await waitForDedupedRun(ctx, dedupeKey, seen.value),
        duplicate: true,
        exposure: undefined,
      };
  }
  let serving: Serving[];
  let plan: Plan;
  try {
    serving = await readServing(ctx);
    plan = ctx.plans.plan({
      runbook: runbook.name,
      targets: input.targets,
      serving,
      ...(input.withShared ? { withShared: true } : {}),
      ...(input.mode ? { mode: input.mode } : {}),
      ...(input.pins ? { pins: input.pins } : {}),
    });
  } catch (error) {
    // A refused plan refuses Slack's retry of the same command too, at once rather than after a wait.
    if (dedupeKey) await ctx.store.settleDedupe(dedupeKey, "refused", DEDUPE_TTL_MS);
    throw error;
  }
  const targets = strictestTargets(ctx.config, plan.scope);
  const [{ exposure, risk: rpoRisk }, restorePoints, readiness] = await Promise.all([
    readDataLoss(ctx, { kind: runbook.kind, mode: plan.mode, scope: plan.scope }, "request.rpo"),
    runbook.kind === "failover" ? restorePointsOnCard(ctx, plan.scope) : Promise.resolve(undefined),
    readRunReadiness(ctx, plan.scope.applications, "request.readiness"),
  ]);
  const required = runbook.approvals.required ?? ctx.config.approvals.required[runbook.kind];
  const expiryMs = ctx.plans.expiryMs(runbook);
  const id = (ctx.newRunId ?? defaultRunId)(runbook.kind, now);
  const requestProof = scheduler
    ? undefined
    : await proveAction(
        ctx,
        AUDIT_STREAM,
        {
          actor: input.actor,
          action: "request",
          run: { id, kind: runbook.kind, runbook: runbook.name, plan, rpoRisk },
        },
        input.witness,
      ).catch(async (error: unknown) => {
        if (dedupeKey) await ctx.store.settleDedupe(dedupeKey, "refused", DEDUPE_TTL_MS);
        throw error;
      });
  const change = openRun(
    {
      id,
      kind: runbook.kind,
      mode: plan.mode,
      runbook: runbook.name,
      scopeKey: scopeLockKeys(plan.scope, runbook.kind).join(","),
      scope: plan.scope,
      plan,
      requestedBy: input.actor,
      ...(requestProof ? { requestProof } : {}),
      reason,
      ...(input.channel ? { channel: input.channel } : {}),
      source: input.source,
      requiredApprovals: required,
      approvals: [],
      decisions: [],
      expiresAt: now + expiryMs,
      createdAt: now,
      updatedAt: now,
      rto: { requestedAt: now, ...(input.detectedAt !== undefined ? { detectedAt: input.detectedAt } : {}) },
      tierRtoMs: targets.rtoMs,
      tierRtoBudgets: targets.budgets,
      tierRpoMs: targets.rpoMs,
      ...(exposure && Number.isFinite(exposure.effectiveMs) ? { rpoExposureMs: exposure.effectiveMs } : {}),
      ...(rpoRisk ? { rpoRisk } : {}),
      ...(readiness ? { readiness } : {}),
      ...(restorePoints && restorePoints.length > 0 ? { restorePoints } : {}),
      serving: serving.filter((s) => plan.scope.applications.includes(s.application)),
      version: 1,
      annotations: {},
    },
    { actor: input.actor, now },
  );
  const run = change.run;
  try {
    await claimScope(ctx, run);
  } catch (error) {
    if (dedupeKey) await ctx.store.settleDedupe(dedupeKey, "refused", DEDUPE_TTL_MS);
    throw error;
  }
  const keys = scopeLockKeys(plan.scope, runbook.kind);
  try {
    await ctx.writer.create(change, initialStepRecords(plan));
  } catch (error) {
    await ctx.store.releaseScope(keys, run.id);
    throw error;
  }
  await ctx.store.renewScope(keys, run.id, Math.max(expiryMs * 2, SCOPE_RUN_TTL_MS));
  if (dedupeKey) await ctx.store.settleDedupe(dedupeKey, run.id, DEDUPE_TTL_MS);
  if (run.state === "approved") ctx.driver.start(run.id, "request.start");
  return { run, duplicate: false, exposure };
}

/** The run a first delivery of the same command created, once it exists (bounded). */
async function waitForDedupedRun(ctx: AppContext, key: string, value: string): Promise<RunRecord> {
  let current = value;
  for (let waited = 0; current === "pending" && waited < DEDUPE_WAIT_MS; waited += DEDUPE_POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, DEDUPE_POLL_MS));
    const again = await ctx.store.dedupe(key, "pending", DEDUPE_TTL_MS);
    current = again.first ? "pending" : again.value;
  }
  const run = current !== "pending" && current !== "refused" ? await ctx.store.getRun(current) : undefined;
  if (!run) throw new DrError("conflict", "this request was already received and is being handled");
  return run;
}

/**
 * The restore points a failover could use, for the approval card and `--backup NAME`: the newest
 * backups of each Velero schedule protecting the scope, read within the status deadline.
 */
async function restorePointsOnCard(ctx: AppContext, scope: RunRecord["scope"]): Promise<RunRestorePoints[]> {
  const reading = (ctx.restorePoints ? ctx.restorePoints(scope) : Promise.resolve([])).catch(
    (err: unknown): ScopeRestorePoints => {
      ctx.log.warn("could not list restore points for the approval card", {
        operation: "request.restore-points",
        err,
      });
      return [];
    },
  );
  const found = await answerWithin(reading, ctx.statusDeadlineMs, [] as ScopeRestorePoints);
  return found.map((entry) =>
    entry.installed === true
      ? {
          source: entry.source,
          schedule: entry.schedule,
          backups: entry.backups
            .slice(0, CARD_RESTORE_POINTS)
            .map((b) => ({ name: b.name, dataAt: b.dataAt, phase: b.phase, good: b.good })),
        }
      : { source: entry.source, schedule: entry.schedule, detail: entry.detail, backups: [] },
  );
}

export function defaultRunId(kind: RunKind, now: number): string {
  const d = new Date(now);
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
  return `${kind}-${stamp}-${randomBytes(3).toString("hex")}`;
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
