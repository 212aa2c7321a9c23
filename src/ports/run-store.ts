import type { RunKind } from "../domain/config.js";
import type { Attestation, RunEvent, RunRecord, RunState, StepRecord } from "../domain/run.js";

/** How much a store keeps, so that Redis never grows without bound. */
export interface StoreLimits {
  /**
   * A run's audit trail keeps at least its newest `maxEventsPerRun` events; older ones are trimmed
   * (on Redis approximately: whole stream nodes of up to 100 entries go at once).
   */
  maxEventsPerRun: number;
  /** The same bound for the audit stream of refusals that belong to no run's trail. */
  maxAuditEvents: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxEventsPerRun: 10_000, maxAuditEvents: 10_000 };

/** What `RunStore.awaitReplication` found (see there). */
export type ReplicationAnswer = "replicated" | "not_replicated" | "replica_missing" | "no_replica";

/** How many retained runs are in each state, kept up to date by every write (no run is read). */
export interface RunSummary {
  counts: { kind: RunKind; state: RunState; runs: number }[];
  /** Runs not in a terminal state. */
  active: number;
}

/**
 * Where runs, their steps, their audit trail, locks and deduplication keys live. Two
 * implementations pass one contract suite (test/adapters/run-store.contract.ts): the in-memory store
 * for unit tests and the Redis store for production.
 *
 * Every method has a deadline (the adapter's command timeout) and throws DrError("unavailable") when
 * the store cannot be reached in time; none of them waits forever.
 */
export interface RunStore {
  /** Creates a run with its steps and first event. Throws DrError("conflict") if the id exists. */
  createRun(run: RunRecord, steps: StepRecord[], event: RunEvent): Promise<void>;

  getRun(runId: string): Promise<RunRecord | undefined>;

  getSteps(runId: string): Promise<Map<string, StepRecord>>;

  /**
   * Compare-and-set: writes `next` (whose version must be `expectedVersion + 1`) only if the stored
   * version is `expectedVersion`, and, when `leaseToken` is given, only while that token still holds
   * the run's execution lease. Appends `event` atomically with the write. Returns false when the
   * version moved on; throws DrError("lost_lease") when the lease is held by someone else or expired.
   */
  updateRun(
    next: RunRecord,
    expectedVersion: number,
    event?: RunEvent,
    leaseToken?: string,
  ): Promise<boolean>;

  /**
   * Writes one step's record and appends its event atomically, only while `leaseToken` holds the
   * run's execution lease (fencing: a deposed executor cannot write). Throws DrError("lost_lease").
   * Operator actions that do not execute (checklist ticks) pass leaseToken undefined.
   */
  putStep(runId: string, step: StepRecord, event: RunEvent, leaseToken?: string): Promise<void>;

  /**
   * Records a person's attestation on a step (a checklist tick, a gate approval) atomically, apart
   * from the step record, so executor writes can never overwrite it. Returns false when the same
   * person already attested the same item. Attestations come back on `getSteps`; `putStep` ignores
   * the `attestations` field of what it is given.
   */
  addAttestation(runId: string, stepId: string, attestation: Attestation, event: RunEvent): Promise<boolean>;

  /** Appends to the run's audit trail (trimmed to the store's `maxEventsPerRun`). */
  appendEvent(event: RunEvent): Promise<string>;

  /** The run's audit trail in order, each event with its stream id. */
  readEvents(runId: string, options?: { after?: string; limit?: number }): Promise<RunEvent[]>;

  /** Newest first. */
  listRuns(options?: { limit?: number }): Promise<RunRecord[]>;

  /** Ids of runs not yet in a terminal state, kept by createRun/updateRun. */
  listActiveRunIds(): Promise<string[]>;

  /** Runs by kind and state, read from counts every write keeps (for metrics: no run is read). */
  runSummary(): Promise<RunSummary>;

  /**
   * Ids of runs that reached a terminal state before `before` (the time of that write), oldest
   * first, at most `limit`: those a retention policy may retire.
   */
  listFinishedBefore(before: number, limit: number): Promise<string[]>;

  /**
   * Removes a finished run's state at once (record, steps, attestations, audit trail, lease, fence,
   * indexes, its count in the summary). With `archive`, keeps that text (its report) under the run's
   * id for `ttlMs`, for readArchive. Returns false, changing nothing, when the run does not exist
   * or is not in a terminal state.
   */
  retireRun(runId: string, archive?: { text: string; ttlMs: number }): Promise<boolean>;

  /** The archive a retired run left, while it is kept. */
  readArchive(runId: string): Promise<string | undefined>;

  /**
   * Appends to the audit stream of refusals that belong to no run's trail: bad input that never
   * reached a run, and people with no role on the run they tried to act on (so a stranger cannot
   * grow a run's trail). Trimmed to the store's `maxAuditEvents`.
   */
  appendAudit(event: RunEvent): Promise<string>;

  /** The newest `limit` entries of that audit stream (default 100), oldest first. */
  readAudit(options?: { limit?: number }): Promise<RunEvent[]>;

  /**
   * Takes every key of a scope for `runId`, all or none (one active run per scope). Keys already held
   * by `runId` count as taken. The lock lives until released or `ttlMs` passes without renewal.
   */
  acquireScope(
    keys: string[],
    runId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; heldBy: string }>;

  /** Extends the scope keys still held by `runId`; returns false if any is held by another run. */
  renewScope(keys: string[], runId: string, ttlMs: number): Promise<boolean>;

  /** Deletes the scope keys held by `runId` (compare-and-delete); keys held by others are left alone. */
  releaseScope(keys: string[], runId: string): Promise<void>;

  /**
   * Claims the execution lease of a run for `ownerId`. Each successful claim by a new owner gets a
   * strictly larger fencing number; the returned token (`ownerId#fence`) is what writes present.
   * A claim by the current owner renews and returns the same token.
   */
  claimLease(
    runId: string,
    ownerId: string,
    ttlMs: number,
  ): Promise<{ ok: true; token: string; fence: number; takeover: boolean } | { ok: false; heldBy: string }>;

  /** Extends the lease if `token` still holds it. */
  renewLease(runId: string, token: string, ttlMs: number): Promise<boolean>;

  /** Releases the lease if `token` still holds it. */
  releaseLease(runId: string, token: string): Promise<void>;

  /** Who holds the lease now, if anyone. */
  leaseHolder(runId: string): Promise<string | undefined>;

  /**
   * Waits, up to `timeoutMs`, until every write this store made so far is on a replica (Redis
   * `WAIT 1`), so a failover cannot lose it. "not_replicated": a replica is connected but did not
   * confirm in time. "replica_missing": the deployment has a replica (Sentinel, or
   * `redis.expectReplica`) but none is connected, nor came back within `timeoutMs`: a failover may
   * promote one that lacks the write. "no_replica": none is expected (a single Redis, the memory
   * store): the write is as durable as the server.
   */
  awaitReplication(timeoutMs: number): Promise<ReplicationAnswer>;

  /**
   * Records `value` under `key` unless the key was seen within `ttlMs`. The first caller gets
   * `{ first: true }`; every later caller gets the value stored by the first.
   */
  dedupe(
    key: string,
    value: string,
    ttlMs: number,
  ): Promise<{ first: true } | { first: false; value: string }>;

  /** Replaces the value of a dedupe key the caller created (e.g. "pending" becomes the run id). */
  settleDedupe(key: string, value: string, ttlMs: number): Promise<void>;

  /** Small key-value state for schedules and watchers (leader leases, last run times). */
  kvGet(key: string): Promise<string | undefined>;
  kvSet(key: string, value: string, options?: { ttlMs?: number; onlyIfAbsent?: boolean }): Promise<boolean>;

  /** Removes a key of that state; removing one that is not there is not an error. */
  kvDelete(key: string): Promise<void>;

  close(): Promise<void>;
}
