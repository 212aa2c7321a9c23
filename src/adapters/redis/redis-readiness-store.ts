import type { Redis } from "ioredis";
import { DrError } from "../../domain/errors.js";
import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import {
  type ReadinessRequest,
  type ReadinessStore,
  readinessRequestKey,
} from "../../ports/readiness-store.js";
import { redisCall } from "./redis-call.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";

/** Lua for the round lock. KEYS[1] is `readiness:lock` (redis-keys.ts), the holder's token with a TTL. */
const READINESS_SCRIPTS = {
  /** release: compare-and-delete. ARGV: token. Reply: 1 deleted, 0 held by another or free. */
  drReadinessRelease: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;

type ReadinessClient = Redis & { drReadinessRelease(key: string, token: string): Promise<number> };

export interface RedisReadinessStoreOptions {
  keyPrefix?: string;
  /** Each call's deadline, besides the client's command timeout (which also bounds it). */
  deadlineMs?: number;
}

/**
 * The kept readiness round on Redis, on the run store's connection: `readiness:latest` holds the
 * round as JSON, `readiness:requests` the rounds asked for (a hash, one field per run and moment),
 * `readiness:lock` the token of whoever is making a round. Every call is bounded by `deadlineMs`.
 */
export class RedisReadinessStore implements ReadinessStore {
  private readonly keys: RedisKeys;
  private readonly redis: ReadinessClient;
  private readonly deadlineMs: number;

  constructor(redis: Redis, options: RedisReadinessStoreOptions = {}) {
    this.keys = redisKeys(options.keyPrefix ?? "drbot:");
    for (const [name, script] of Object.entries(READINESS_SCRIPTS))
      if (!(name in redis)) redis.defineCommand(name, script);
    this.redis = redis as ReadinessClient;
    this.deadlineMs = options.deadlineMs ?? 2_000;
  }

  async latest(): Promise<ReadinessReport | undefined> {
    const raw = await this.call("read the kept readiness round", () =>
      this.redis.get(this.keys.readinessLatest()),
    );
    return raw ? (JSON.parse(raw) as ReadinessReport) : undefined;
  }

  async keep(report: ReadinessReport): Promise<void> {
    await this.call("keep the readiness round", () =>
      this.redis.set(this.keys.readinessLatest(), JSON.stringify(report)),
    );
  }

  async request(request: ReadinessRequest): Promise<void> {
    await this.call("ask for a readiness round", () =>
      this.redis.hset(this.keys.readinessRequests(), readinessRequestKey(request), JSON.stringify(request)),
    );
  }

  async requests(): Promise<ReadinessRequest[]> {
    const all = await this.call("read the readiness rounds asked for", () =>
      this.redis.hgetall(this.keys.readinessRequests()),
    );
    return Object.values(all)
      .map((json) => JSON.parse(json) as ReadinessRequest)
      .sort((a, b) => a.at - b.at);
  }

  async answered(requests: readonly ReadinessRequest[]): Promise<void> {
    if (requests.length === 0) return;
    // A request made again after the round started has a newer `at`: it stays for the next round.
    const fields = requests.map(readinessRequestKey);
    const current = await this.call("read the readiness rounds asked for", () =>
      this.redis.hmget(this.keys.readinessRequests(), ...fields),
    );
    const done = fields.filter((_field, i) => {
      const now = current[i];
      return now !== null && now !== undefined && (JSON.parse(now) as ReadinessRequest).at <= requests[i]!.at;
    });
    if (done.length > 0)
      await this.call("clear the readiness rounds answered", () =>
        this.redis.hdel(this.keys.readinessRequests(), ...done),
      );
  }

  async lockRound(token: string, ttlMs: number): Promise<boolean> {
    const reply = await this.call("take the readiness round lock", () =>
      this.redis.set(this.keys.readinessLock(), token, "PX", ttlMs, "NX"),
    );
    return reply === "OK";
  }

  async releaseRound(token: string): Promise<void> {
    await this.call("release the readiness round lock", () =>
      this.redis.drReadinessRelease(this.keys.readinessLock(), token),
    );
  }

  /** One command within the deadline: a late answer is DrError("timeout"), a failure "unavailable". */
  private async call<T>(what: string, command: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DrError("timeout", `Redis did not ${what} within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
    });
    try {
      return await Promise.race([redisCall(what, command), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
