import type { RunKind } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import type { RunEvent, RunState } from "../../domain/run.js";
import type { RunSummary, StoreLimits } from "../../ports/run-store.js";
import { redisCall } from "./redis-call.js";
import type { RedisKeys } from "./redis-keys.js";
import type { ScriptClient } from "./redis-run-store.js";

/** Attempts at counting the runs for the summary while other processes create runs. */
const REBUILD_ATTEMPTS = 5;

/**
 * What keeps Redis bounded, for RedisRunStore: the summary of runs by state (counted once, then kept
 * by every write), finished runs retired or archived, and the capped audit stream of refusals that
 * belong to no run. Scripts in redis-scripts.ts; keys in redis-keys.ts.
 */
export class RedisRetention {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: RedisKeys,
    private readonly limits: StoreLimits,
  ) {}

  async runSummary(): Promise<RunSummary> {
    let counts = await this.readCounts();
    for (let attempt = 0; counts === undefined && attempt < REBUILD_ATTEMPTS; attempt++) {
      await this.rebuild();
      counts = await this.readCounts();
    }
    if (counts === undefined)
      throw new DrError(
        "unavailable",
        `Redis did not count runs for the summary: the run index kept changing over ${REBUILD_ATTEMPTS} attempts`,
      );
    const active = await redisCall("count active runs", () => this.redis.scard(this.keys.runsActive()));
    return { counts, active };
  }

  async listFinishedBefore(before: number, limit: number): Promise<string[]> {
    return redisCall("list finished runs", () =>
      this.redis.zrangebyscore(this.keys.runsFinished(), "-inf", `(${before}`, "LIMIT", 0, limit),
    );
  }

  async retireRun(runId: string, archive?: { text: string; ttlMs: number }): Promise<boolean> {
    const k = this.keys;
    const result = await redisCall("retire a run", () =>
      this.redis.drRetireRun(
        k.run(runId),
        k.steps(runId),
        k.attestations(runId),
        k.events(runId),
        k.lease(runId),
        k.fence(runId),
        k.runsIndex(),
        k.runsActive(),
        k.runsFinished(),
        k.summary(),
        k.archive(runId),
        runId,
        archive?.text ?? "",
        archive?.ttlMs ?? 0,
      ),
    );
    return result === 1;
  }

  async readArchive(runId: string): Promise<string | undefined> {
    return (
      (await redisCall("read a run's archive", () => this.redis.get(this.keys.archive(runId)))) ?? undefined
    );
  }

  async appendAudit(event: RunEvent): Promise<string> {
    const id = await redisCall("append to the audit stream", () =>
      this.redis.xadd(
        this.keys.audit(),
        "MAXLEN",
        "~",
        this.limits.maxAuditEvents,
        "*",
        "e",
        JSON.stringify(event),
      ),
    );
    return id ?? "";
  }

  async readAudit(options: { limit?: number } = {}): Promise<RunEvent[]> {
    const entries = await redisCall("read the audit stream", () =>
      this.redis.xrevrange(this.keys.audit(), "+", "-", "COUNT", String(options.limit ?? 100)),
    );
    return entries.reverse().map(([id, fields]) => ({ ...(JSON.parse(fields[1] ?? "{}") as RunEvent), id }));
  }

  /** The counts, or undefined when they were never built (a store from before the summary existed). */
  private async readCounts(): Promise<RunSummary["counts"] | undefined> {
    const fields = await redisCall("read the run summary", () => this.redis.hgetall(this.keys.summary()));
    if (fields.built === undefined) return undefined;
    return Object.entries(fields)
      .filter(([field, n]) => field !== "built" && Number(n) > 0)
      .map(([field, n]) => {
        const [kind, state] = field.split("/") as [RunKind, RunState];
        return { kind, state, runs: Number(n) };
      });
  }

  /** Counts every run once; a run created meanwhile makes the script refuse, and this is tried again. */
  private async rebuild(): Promise<void> {
    const k = this.keys;
    const ids = await redisCall("list runs for the summary", () =>
      this.redis.zrange(k.runsIndex(), "0", "-1"),
    );
    const keys = [
      k.summary(),
      k.runsIndex(),
      k.runsActive(),
      k.runsFinished(),
      ...ids.map((id) => k.run(id)),
    ];
    await redisCall("count runs for the summary", () =>
      this.redis.drRebuildSummary(keys.length, ...keys, ...ids),
    );
  }
}
