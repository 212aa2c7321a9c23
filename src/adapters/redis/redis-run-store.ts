import type { Redis } from "ioredis";
import { DrError } from "../../domain/errors.js";
import {
  type Attestation,
  isTerminal,
  type RunEvent,
  type RunRecord,
  type StepRecord,
} from "../../domain/run.js";
import {
  DEFAULT_STORE_LIMITS,
  type ReplicationAnswer,
  type RunStore,
  type RunSummary,
  type StoreLimits,
} from "../../ports/run-store.js";
import { pipelineResults, redisCall } from "./redis-call.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";
import { RedisRetention } from "./redis-retention.js";
import { SCRIPTS } from "./redis-scripts.js";

export type ScriptClient = Redis & {
  drCreateRun(...args: (string | number)[]): Promise<number>;
  drUpdateRun(...args: (string | number)[]): Promise<number>;
  drPutStep(...args: (string | number)[]): Promise<string | number>;
  drAddAttestation(...args: (string | number)[]): Promise<number>;
  drClaimLease(...args: (string | number)[]): Promise<[number, string, number?, number?]>;
  drRenewLease(...args: (string | number)[]): Promise<number>;
  drDeleteIfEquals(...args: (string | number)[]): Promise<number>;
  drAcquireScope(numKeys: number, ...args: (string | number)[]): Promise<string>;
  drRenewScope(numKeys: number, ...args: (string | number)[]): Promise<number>;
  drReleaseScope(numKeys: number, ...args: (string | number)[]): Promise<number>;
  drDedupe(...args: (string | number)[]): Promise<string | null>;
  drRetireRun(...args: (string | number)[]): Promise<number>;
  drRebuildSummary(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * The run store on Redis (standalone or behind Sentinel). Writes that must go together are Lua
 * scripts (one round trip each); executor writes are fenced by the lease token. Every command has
 * the client's command timeout as its deadline; failures become DrError("unavailable") saying what
 * was being done, never the connection details.
 */
export class RedisRunStore implements RunStore {
  private readonly keys: RedisKeys;
  private readonly redis: ScriptClient;
  private readonly retention: RedisRetention;

  constructor(
    redis: Redis,
    keyPrefix = "drbot:",
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    /** Whether Redis is deployed with a replica (see `awaitReplication`). */
    private readonly durability: { replicaExpected: boolean } = { replicaExpected: false },
  ) {
    this.keys = redisKeys(keyPrefix);
    for (const [name, script] of Object.entries(SCRIPTS)) {
      if (!(name in redis))
        redis.defineCommand(
          name,
          script.numberOfKeys >= 0
            ? { numberOfKeys: script.numberOfKeys, lua: script.lua }
            : { lua: script.lua },
        );
    }
    this.redis = redis as ScriptClient;
    this.retention = new RedisRetention(this.redis, this.keys, limits);
  }

  async createRun(run: RunRecord, steps: StepRecord[], event: RunEvent): Promise<void> {
    const k = this.keys;
    const pairs = steps.flatMap((s) => [s.id, JSON.stringify(withoutAttestations(s))]);
    const created = await redisCall("create a run", () =>
      this.redis.drCreateRun(
        k.run(run.id),
        k.steps(run.id),
        k.events(run.id),
        k.runsIndex(),
        k.runsActive(),
        k.runsFinished(),
        k.summary(),
        JSON.stringify(run),
        run.id,
        run.createdAt,
        isTerminal(run.state) ? "0" : "1",
        JSON.stringify(event),
        run.version,
        this.limits.maxEventsPerRun,
        run.kind,
        run.state,
        run.updatedAt,
        ...pairs,
      ),
    );
    if (created !== 1) throw new DrError("conflict", `run ${run.id} already exists`);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const doc = await redisCall("read a run", () => this.redis.hget(this.keys.run(runId), "doc"));
    return doc ? (JSON.parse(doc) as RunRecord) : undefined;
  }

  async getSteps(runId: string): Promise<Map<string, StepRecord>> {
    const replies = await redisCall("read a run's steps", () =>
      this.redis.pipeline().hgetall(this.keys.steps(runId)).hgetall(this.keys.attestations(runId)).exec(),
    );
    const [steps = {}, attested = {}] = pipelineResults<Record<string, string>>(
      "read a run's steps",
      replies,
    );
    return new Map(
      Object.entries(steps).map(([id, json]) => {
        const record = JSON.parse(json) as StepRecord;
        const list = attested[id];
        return [id, list ? { ...record, attestations: JSON.parse(list) as Attestation[] } : record];
      }),
    );
  }

  async addAttestation(
    runId: string,
    stepId: string,
    attestation: Attestation,
    event: RunEvent,
  ): Promise<boolean> {
    const k = this.keys;
    const result = await redisCall("record an attestation", () =>
      this.redis.drAddAttestation(
        k.attestations(runId),
        k.events(runId),
        k.steps(runId),
        stepId,
        JSON.stringify(attestation),
        attestation.item,
        attestation.userId,
        JSON.stringify(event),
        this.limits.maxEventsPerRun,
      ),
    );
    if (result === -2) throw new DrError("unknown_run", `no step ${stepId} in run ${runId}`);
    return result === 1;
  }

  async updateRun(
    next: RunRecord,
    expectedVersion: number,
    event?: RunEvent,
    leaseToken?: string,
  ): Promise<boolean> {
    checkNextVersion(next, expectedVersion);
    const k = this.keys;
    const result = await redisCall("update a run", () =>
      this.redis.drUpdateRun(
        k.run(next.id),
        k.events(next.id),
        k.runsActive(),
        k.lease(next.id),
        k.runsFinished(),
        k.summary(),
        expectedVersion,
        JSON.stringify(next),
        next.id,
        isTerminal(next.state) ? "0" : "1",
        event ? JSON.stringify(event) : "",
        leaseToken ?? "",
        next.version,
        this.limits.maxEventsPerRun,
        next.kind,
        next.state,
        next.updatedAt,
      ),
    );
    if (result === -1) throw lostLease(next.id, leaseToken);
    if (result === -2) throw new DrError("unknown_run", `no run ${next.id}`);
    return result === 1;
  }

  async putStep(runId: string, step: StepRecord, event: RunEvent, leaseToken?: string): Promise<void> {
    const k = this.keys;
    const result = await redisCall("record a step", () =>
      this.redis.drPutStep(
        k.steps(runId),
        k.events(runId),
        k.lease(runId),
        k.run(runId),
        step.id,
        JSON.stringify(withoutAttestations(step)),
        JSON.stringify(event),
        leaseToken ?? "",
        this.limits.maxEventsPerRun,
      ),
    );
    if (result === -1) throw lostLease(runId, leaseToken);
    if (result === -2) throw new DrError("unknown_run", `no run ${runId}`);
  }

  async appendEvent(event: RunEvent): Promise<string> {
    const id = await redisCall("append to the audit trail", () =>
      this.redis.xadd(
        this.keys.events(event.runId),
        "MAXLEN",
        "~",
        this.limits.maxEventsPerRun,
        "*",
        "e",
        JSON.stringify(event),
      ),
    );
    return id ?? "";
  }

  async readEvents(runId: string, options: { after?: string; limit?: number } = {}): Promise<RunEvent[]> {
    const start = options.after ? `(${options.after}` : "-";
    const entries = await redisCall("read the audit trail", () =>
      options.limit
        ? this.redis.xrange(this.keys.events(runId), start, "+", "COUNT", options.limit)
        : this.redis.xrange(this.keys.events(runId), start, "+"),
    );
    return entries.map(([id, fields]) => ({ ...(JSON.parse(fields[1] ?? "{}") as RunEvent), id }));
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunRecord[]> {
    const ids = await redisCall("list runs", () =>
      this.redis.zrevrange(this.keys.runsIndex(), 0, (options.limit ?? 50) - 1),
    );
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.run(id), "doc");
    const docs = pipelineResults<string | null>(
      "list runs",
      await redisCall("list runs", () => pipeline.exec()),
    );
    return docs
      .filter((doc): doc is string => typeof doc === "string")
      .map((doc) => JSON.parse(doc) as RunRecord);
  }

  async listActiveRunIds(): Promise<string[]> {
    return redisCall("list active runs", () => this.redis.smembers(this.keys.runsActive()));
  }

  runSummary(): Promise<RunSummary> {
    return this.retention.runSummary();
  }

  listFinishedBefore(before: number, limit: number): Promise<string[]> {
    return this.retention.listFinishedBefore(before, limit);
  }

  retireRun(runId: string, archive?: { text: string; ttlMs: number }): Promise<boolean> {
    return this.retention.retireRun(runId, archive);
  }

  readArchive(runId: string): Promise<string | undefined> {
    return this.retention.readArchive(runId);
  }

  appendAudit(event: RunEvent): Promise<string> {
    return this.retention.appendAudit(event);
  }

  readAudit(options: { limit?: number } = {}): Promise<RunEvent[]> {
    return this.retention.readAudit(options);
  }

  async acquireScope(
    keys: string[],
    runId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; heldBy: string }> {
    const scopeKeys = keys.map((key) => this.keys.scope(key));
    const held = await redisCall("lock a scope", () =>
      this.redis.drAcquireScope(scopeKeys.length, ...scopeKeys, runId, ttlMs),
    );
    return held ? { ok: false, heldBy: held } : { ok: true };
  }

  async renewScope(keys: string[], runId: string, ttlMs: number): Promise<boolean> {
    const scopeKeys = keys.map((key) => this.keys.scope(key));
    return (
      (await redisCall("renew a scope lock", () =>
        this.redis.drRenewScope(scopeKeys.length, ...scopeKeys, runId, ttlMs),
      )) === 1
    );
  }

  async releaseScope(keys: string[], runId: string): Promise<void> {
    if (keys.length === 0) return;
    const scopeKeys = keys.map((key) => this.keys.scope(key));
    await redisCall("release a scope lock", () =>
      this.redis.drReleaseScope(scopeKeys.length, ...scopeKeys, runId),
    );
  }

  async claimLease(
    runId: string,
    ownerId: string,
    ttlMs: number,
  ): Promise<{ ok: true; token: string; fence: number; takeover: boolean } | { ok: false; heldBy: string }> {
    const reply = await redisCall("claim a run's lease", () =>
      this.redis.drClaimLease(this.keys.lease(runId), this.keys.fence(runId), ownerId, ttlMs),
    );
    if (reply[0] !== 1) return { ok: false, heldBy: reply[1] };
    return { ok: true, token: reply[1], fence: Number(reply[2]), takeover: reply[3] === 1 };
  }

  async renewLease(runId: string, token: string, ttlMs: number): Promise<boolean> {
    return (
      (await redisCall("renew a run's lease", () =>
        this.redis.drRenewLease(this.keys.lease(runId), token, ttlMs),
      )) === 1
    );
  }

  async releaseLease(runId: string, token: string): Promise<void> {
    await redisCall("release a run's lease", () =>
      this.redis.drDeleteIfEquals(this.keys.lease(runId), token),
    );
  }

  async leaseHolder(runId: string): Promise<string | undefined> {
    return (await redisCall("read a run's lease", () => this.redis.get(this.keys.lease(runId)))) ?? undefined;
  }

  /**
   * WAIT 1 on this store's connection (the one every write went through). With no replica connected
   * the answer is "no_replica" at once, unless the deployment has one (`replicaExpected`): then
   * the WAIT runs all the same (a replica reconnecting in time confirms it), and "replica_missing"
   * when none did. The wait stays within the client's command deadline, so the answer comes from
   * Redis and not from the client giving up.
   */
  async awaitReplication(timeoutMs: number): Promise<ReplicationAnswer> {
    const info = await redisCall("read Redis's replication", () => this.redis.info("replication"));
    const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    if (replicas === 0 && !this.durability.replicaExpected) return "no_replica";
    const commandTimeout = this.redis.options.commandTimeout ?? timeoutMs * 2;
    const waitMs = Math.max(1, Math.min(timeoutMs, Math.floor(commandTimeout * 0.75)));
    const acknowledged = await redisCall("wait for a replica", () => this.redis.wait(1, waitMs));
    if (acknowledged >= 1) return "replicated";
    return replicas === 0 ? "replica_missing" : "not_replicated";
  }

  async dedupe(
    key: string,
    value: string,
    ttlMs: number,
  ): Promise<{ first: true } | { first: false; value: string }> {
    const seen = await redisCall("deduplicate a request", () =>
      this.redis.drDedupe(this.keys.dedupe(key), value, ttlMs),
    );
    return seen === null ? { first: true } : { first: false, value: seen };
  }

  async settleDedupe(key: string, value: string, ttlMs: number): Promise<void> {
    await redisCall("settle a deduplication key", () =>
      this.redis.set(this.keys.dedupe(key), value, "PX", ttlMs, "XX"),
    );
  }

  async kvGet(key: string): Promise<string | undefined> {
    return (await redisCall("read a value", () => this.redis.get(this.keys.kv(key)))) ?? undefined;
  }

  async kvSet(
    key: string,
    value: string,
    options: { ttlMs?: number; onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    const k = this.keys.kv(key);
    const reply = await redisCall("write a value", () => {
      if (options.ttlMs && options.onlyIfAbsent) return this.redis.set(k, value, "PX", options.ttlMs, "NX");
      if (options.ttlMs) return this.redis.set(k, value, "PX", options.ttlMs);
      if (options.onlyIfAbsent) return this.redis.set(k, value, "NX");
      return this.redis.set(k, value);
    });
    return reply === "OK";
  }

  async kvDelete(key: string): Promise<void> {
    await redisCall("remove a value", () => this.redis.del(this.keys.kv(key)));
  }

  /** Closes the connection; QUIT has the command deadline, and a dead connection is just dropped. */
  async close(): Promise<void> {
    await this.redis.quit().catch(
      // QUIT failed (the connection is already gone, or the deadline passed): drop it instead.
      () => this.redis.disconnect(),
    );
  }
}

function checkNextVersion(next: RunRecord, expectedVersion: number): void {
  if (next.version !== expectedVersion + 1)
    throw new DrError(
      "internal",
      `run ${next.id}: a write expecting version ${expectedVersion} must carry version ${expectedVersion + 1}, not ${next.version}`,
    );
}

function lostLease(runId: string, token: string | undefined): DrError {
  return new DrError("lost_lease", `the lease of ${runId} is no longer held by ${token}`, { runId });
}

function withoutAttestations(step: StepRecord): StepRecord {
  const { attestations: _, ...rest } = step;
  return rest;
}
