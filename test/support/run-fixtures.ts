import type { RunEvent, RunRecord, StepRecord } from "../../src/domain/run.js";

let counter = 0;

/** A unique id per call, per test process: tests sharing a store never collide. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** A valid pending failover run; override what the test is about. Each call gets a fresh id. */
export function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  const scope = { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" };
  const createdAt = overrides.createdAt ?? 1_700_000_000_000 + counter;
  return {
    id: overrides.id ?? uniqueId("failover"),
    kind: "failover",
    mode: "real",
    runbook: "failover",
    scopeKey: "failover:payments",
    scope,
    plan: {
      runbook: "failover",
      runbookTitle: "Failover",
      kind: "failover",
      mode: "real",
      scope,
      steps: [],
      pins: {},
      hash: "plan-hash-1",
    },
    state: "pending_approval",
    requestedBy: "U0ONCALL",
    reason: "dc1 is down",
    source: "cli",
    requiredApprovals: 2,
    approvals: [],
    decisions: [],
    expiresAt: createdAt + 30 * 60_000,
    createdAt,
    updatedAt: createdAt,
    rto: { requestedAt: createdAt },
    tierRtoMs: 2 * 3_600_000,
    tierRpoMs: 15 * 60_000,
    version: 1,
    annotations: {},
    ...overrides,
  };
}

/** The run as written by the next compare-and-set: version moved by one, plus `changes`. */
export function nextVersion(run: RunRecord, changes: Partial<RunRecord> = {}): RunRecord {
  return { ...run, ...changes, version: run.version + 1 };
}

export function stepRecord(id: string, overrides: Partial<StepRecord> = {}): StepRecord {
  return { id, status: "not_started", attempts: 0, ...overrides };
}

export function runEvent(
  runId: string,
  type: RunEvent["type"] = "run.note",
  data: Record<string, unknown> = {},
): RunEvent {
  return { type, at: 1_700_000_000_000, actor: "test", runId, data };
}
