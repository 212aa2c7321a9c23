import type { Plan, RunRecord, RunScope } from "../src/domain/run.js";
import { scopeLockKeys } from "../src/domain/scope.js";
import { runRecord } from "../test/support/run-fixtures.js";

/** What a benchmark returns: its figures, each with a target where there is one. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { op: "<" | "<=" | ">" | ">="; value: number };
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  notes?: string[];
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * An approved failover of `plan` that needs no approval, ready to drive; the fixture fills in the
 * fields a benchmark does not vary.
 */
export function approvedRun(o: {
  id: string;
  runbook: string;
  scope: RunScope;
  plan: Plan;
  now: number;
}): RunRecord {
  return runRecord({
    id: o.id,
    runbook: o.runbook,
    scopeKey: scopeLockKeys(o.scope, "failover").join(","),
    scope: o.scope,
    plan: o.plan,
    state: "approved",
    requiredApprovals: 0,
    createdAt: o.now,
    updatedAt: o.now,
    expiresAt: o.now + 3_600_000,
    rto: { requestedAt: o.now, approvedAt: o.now },
  });
}
