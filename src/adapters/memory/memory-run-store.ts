import { DrError } from "../../domain/errors.js";
import {
  type Attestation,
  isTerminal,
  type RunEvent,
  type RunRecord,
  type StepRecord,
} from "../../domain/run.js";
import type { Clock } from "../../ports/clock.js";
import {
  DEFAULT_STORE_LIMITS,
  type ReplicationAnswer,
  type RunStore,
  type RunSummary,
  type StoreLimits,
} from "../../ports/run-store.js";

interface Expiring {
  value: string;
  expiresAt: number;
}

/** A run's audit trail, with the last id handed out (ids grow like a Redis stream's: `ms-seq`). */
interface EventStream {
  entries: RunEvent[];
  lastMs: number;
  lastSeq: number;
}

/**
 * The run store in memory, for unit tests and the demo: the same contract as the Redis store
 * (compare-and-set, fencing, TTLs evaluated against the injected clock, stream-like event ids),
 * checked by the same suite. Values are copied in and out, so callers never share objects with the
 * store. Nothing here waits, so no method can hang.
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly steps = new Map<string, Map<string, StepRecord>>();
  private readonly events = new Map<string, EventStream>();
  private readonly attestations = new Map<string, Map<string, Attestation[]>>();
  private readonly active = new Set<string>();
  private readonly leases = new Map<string, Expiring>();
  private readonly fences = new Map<string, number>();
  private readonly scopes = new Map<string, Expiring>();
  private readonly dedupes = new Map<string, Expiring>();
  private readonly kv = new Map<string, Expiring>();
  /** Runs in a terminal state → when they reached it. */
  private readonly finished = new Map<string, number>();
  private readonly archives = new Map<string, Expiring>();
  private readonly audit: EventStream = { entries: [], lastMs: 0, lastSeq: -1 };

  constructor(
    private readonly clock: Clock,
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
  ) {}

  async createRun(run: RunRecord, steps: StepRecord[], event: RunEvent): Promise<void> {
    if (this.runs.has(run.id)) throw new DrError("conflict", `run ${run.id} already exists`);
    this.runs.set(run.id, copy(run));
    this.steps.set(run.id, new Map(steps.map((s) => [s.id, withoutAttestations(s)])));
    if (!isTerminal(run.state)) this.active.add(run.id);
    else this.finished.set(run.id, run.updatedAt);
    this.push(event);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const run = this.runs.get(runId);
    return run ? copy(run) : undefined;
  }

  async getSteps(runId: string): Promise<Map<string, StepRecord>> {
    const attested = this.attestations.get(runId);
    const stored = this.steps.get(runId) ?? new Map<string, StepRecord>();
    return new Map(
      [...stored.entries()].map(([id, record]) => {
        const list = attested?.get(id);
        return [id, copy(list ? { ...record, attestations: list } : record)];
      }),
    );
  }

  async addAttestation(
    runId: string,
    stepId: string,
    attestation: Attestation,
    event: RunEvent,
  ): Promise<boolean> {
    if (!this.steps.get(runId)?.has(stepId))
      throw new DrError("unknown_run", `no step ${stepId} in run ${runId}`);
    const byStep = this.attestations.get(runId) ?? new Map<string, Attestation[]>();
    const list = byStep.get(stepId) ?? [];
    if (list.some((a) => a.item === attestation.item && a.userId === attestation.userId)) return false;
    list.push(copy(attestation));
    byStep.set(stepId, list);
    this.attestations.set(runId, byStep);
    this.push(event);
    return true;
  }

  async updateRun(
    next: RunRecord,
    expectedVersion: number,
    event?: RunEvent,
    leaseToken?: string,
  ): Promise<boolean> {
    checkNextVersion(next, expectedVersion);
    if (leaseToken !== undefined) this.checkLease(next.id, leaseToken);
    const current = this.runs.get(next.id);
    if (!current) throw new DrError("unknown_run", `no run ${next.id}`);
    if (current.version !== expectedVersion) return false;
    this.runs.set(next.id, copy(next));
    if (isTerminal(next.state)) {
      this.active.delete(next.id);
      if (!isTerminal(current.state)) this.finished.set(next.id, next.updatedAt);
    } else this.active.add(next.id);
    if (event) this.push(event);
    return true;
  }

  async putStep(runId: string, step: StepRecord, event: RunEvent, leaseToken?: string): Promise<void> {
    if (leaseToken !== undefined) this.checkLease(runId, leaseToken);
    const steps = this.steps.get(runId);
    if (!steps) throw new DrError("unknown_run", `no run ${runId}`);
    steps.set(step.id, withoutAttestations(step));
    this.push(event);
  }

  async appendEvent(event: RunEvent): Promise<string> {
    return this.push(event);
  }

  async readEvents(runId: string, options: { after?: string; limit?: number } = {}): Promise<RunEvent[]> {
    const entries = this.events.get(runId)?.entries ?? [];
    const { after } = options;
    const newer = after ? entries.filter((e) => compareStreamIds(e.id!, after) > 0) : entries;
    return newer.slice(0, options.limit ? options.limit : undefined).map(copy);
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
      .slice(0, options.limit ?? 50)
      .map(copy);
  }

  async listActiveRunIds(): Promise<string[]> {
    return [...this.active];
  }

  async runSummary(): Promise<RunSummary> {
    const counts = new Map<string, RunSummary["counts"][number]>();
    for (const run of this.runs.values()) {
      const key = `${run.kind}/${run.state}`;
      const entry = counts.get(key) ?? { kind: run.kind, state: run.state, runs: 0 };
      entry.runs++;
      counts.set(key, entry);
    }
    return { counts: [...counts.values()], active: this.active.size };
  }

  async listFinishedBefore(before: number, limit: number): Promise<string[]> {
    return [...this.finished.entries()]
      .filter(([, at]) => at < before)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
  }

  async retireRun(runId: string, archive?: { text: string; ttlMs: number }): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run || !isTerminal(run.state)) return false;
    for (const map of [this.runs, this.steps, this.events, this.attestations, this.fences, this.finished])
      map.delete(runId);
    this.leases.delete(runId);
    this.active.delete(runId);
    if (archive)
      this.archives.set(runId, { value: archive.text, expiresAt: this.clock.now() + archive.ttlMs });
    return true;
  }

  async readArchive(runId: string): Promise<string | undefined> {
    return this.live(this.archives, runId);
  }

  async appendAudit(event: RunEvent): Promise<string> {
    return this.append(this.audit, event, this.limits.maxAuditEvents);
  }

  async readAudit(options: { limit?: number } = {}): Promise<RunEvent[]> {
    return this.audit.entries.slice(-(options.limit ?? 100)).map(copy);
  }

  async acquireScope(
    keys: string[],
    runId: string,
    ttlMs: number,
  ): Promise<{ ok: true } | { ok: false; heldBy: string }> {
    for (const key of keys) {
      const held = this.live(this.scopes, key);
      if (held !== undefined && held !== runId) return { ok: false, heldBy: held };
    }
    for (const key of keys) this.scopes.set(key, { value: runId, expiresAt: this.clock.now() + ttlMs });
    return { ok: true };
  }

  async renewScope(keys: string[], runId: string, ttlMs: number): Promise<boolean> {
    let all = true;
    for (const key of keys) {
      if (this.live(this.scopes, key) === runId)
        this.scopes.set(key, { value: runId, expiresAt: this.clock.now() + ttlMs });
      else all = false;
    }
    return all;
  }

  async releaseScope(keys: string[], runId: string): Promise<void> {
    for (const key of keys) if (this.live(this.scopes, key) === runId) this.scopes.delete(key);
  }

  async claimLease(
    runId: string,
    ownerId: string,
    ttlMs: number,
  ): Promise<{ ok: true; token: string; fence: number; takeover: boolean } | { ok: false; heldBy: string }> {
    const held = this.live(this.leases, runId);
    const expiresAt = this.clock.now() + ttlMs;
    if (held !== undefined) {
      const holder = parseLeaseToken(held);
      if (holder.ownerId !== ownerId) return { ok: false, heldBy: held };
      this.leases.set(runId, { value: held, expiresAt });
      return { ok: true, token: held, fence: holder.fence, takeover: false };
    }
    const fence = (this.fences.get(runId) ?? 0) + 1;
    this.fences.set(runId, fence);
    const token = `${ownerId}#${fence}`;
    this.leases.set(runId, { value: token, expiresAt });
    return { ok: true, token, fence, takeover: fence > 1 };
  }

  async renewLease(runId: string, token: string, ttlMs: number): Promise<boolean> {
    if (this.live(this.leases, runId) !== token) return false;
    this.leases.set(runId, { value: token, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async releaseLease(runId: string, token: string): Promise<void> {
    if (this.live(this.leases, runId) === token) this.leases.delete(runId);
  }

  async leaseHolder(runId: string): Promise<string | undefined> {
    return this.live(this.leases, runId);
  }

  /** One process's memory has no replica. */
  async awaitReplication(_timeoutMs: number): Promise<ReplicationAnswer> {
    return "no_replica";
  }

  async dedupe(
    key: string,
    value: string,
    ttlMs: number,
  ): Promise<{ first: true } | { first: false; value: string }> {
    const seen = this.live(this.dedupes, key);
    if (seen !== undefined) return { first: false, value: seen };
    this.dedupes.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    return { first: true };
  }

  async settleDedupe(key: string, value: string, ttlMs: number): Promise<void> {
    if (this.live(this.dedupes, key) !== undefined)
      this.dedupes.set(key, { value, expiresAt: this.clock.now() + ttlMs });
  }

  async kvGet(key: string): Promise<string | undefined> {
    return this.live(this.kv, key);
  }

  async kvSet(
    key: string,
    value: string,
    options: { ttlMs?: number; onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    if (options.onlyIfAbsent && this.live(this.kv, key) !== undefined) return false;
    this.kv.set(key, {
      value,
      expiresAt: options.ttlMs ? this.clock.now() + options.ttlMs : Number.POSITIVE_INFINITY,
    });
    return true;
  }

  async kvDelete(key: string): Promise<void> {
    this.kv.delete(key);
  }

  async close(): Promise<void> {}

  private checkLease(runId: string, token: string): void {
    const held = this.live(this.leases, runId);
    if (held !== token)
      throw new DrError(
        "lost_lease",
        `the lease of ${runId} is ${held ? `held by ${held}` : "expired"}, not by ${token}`,
        { runId, holder: held },
      );
  }

  /** The value under `key` while its TTL runs, as Redis would answer; expired entries are dropped. */
  private live(map: Map<string, Expiring>, key: string): string | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Appends to the run's stream. */
  private push(event: RunEvent): string {
    const stream = this.events.get(event.runId) ?? { entries: [], lastMs: 0, lastSeq: -1 };
    this.events.set(event.runId, stream);
    return this.append(stream, event, this.limits.maxEventsPerRun);
  }

  /** Ids are `ms-seq` and strictly increase, even if the clock steps back; the oldest beyond `max` go. */
  private append(stream: EventStream, event: RunEvent, max: number): string {
    const now = this.clock.now();
    if (now > stream.lastMs) {
      stream.lastMs = now;
      stream.lastSeq = 0;
    } else stream.lastSeq++;
    const id = `${stream.lastMs}-${stream.lastSeq}`;
    stream.entries.push({ ...copy(event), id });
    if (stream.entries.length > max) stream.entries.splice(0, stream.entries.length - max);
    return id;
  }
}

/** A compare-and-set write moves the version by exactly one (the Redis store checks the same). */
function checkNextVersion(next: RunRecord, expectedVersion: number): void {
  if (next.version !== expectedVersion + 1)
    throw new DrError(
      "internal",
      `run ${next.id}: a write expecting version ${expectedVersion} must carry version ${expectedVersion + 1}, not ${next.version}`,
    );
}

/** A lease token is `ownerId#fence`; the owner id may itself contain '#'. */
function parseLeaseToken(token: string): { ownerId: string; fence: number } {
  const at = token.lastIndexOf("#");
  return { ownerId: token.slice(0, at), fence: Number(token.slice(at + 1)) };
}

/** Orders Redis stream ids (`ms-seq`, or a bare `ms`) numerically, as XRANGE does. */
function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

function withoutAttestations(step: StepRecord): StepRecord {
  const { attestations: _, ...rest } = step;
  return copy(rest);
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
