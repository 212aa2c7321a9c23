import type { Redis } from "ioredis";
import { DrError, describeError } from "../../domain/errors.js";
import type { LeaderLease } from "../../ports/leader-lease.js";
import { redactRedisUrls } from "./create-redis-client.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";

/**
 * Lua for the leader lease, atomic in Redis. KEYS[1] is `leader:<name>` (redis-keys.ts), a string
 * holding the leader's token with a TTL.
 */
const LEADER_SCRIPTS = {
  /**
   * acquire: SET NX PX, or renew when the caller already holds it (a leader calling acquire again
   * must not lose its lease). ARGV: token, ttlMs. Reply: 1 held by the token afterwards, 0 held by another.
   */
  drLeaderAcquire: {
    numberOfKeys: 1,
    lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`,
  },
  /** renew: PEXPIRE only while the token holds it. ARGV: token, ttlMs. Reply: 1 renewed, 0 not held. */
  drLeaderRenew: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
  /** release: compare-and-delete. ARGV: token. Reply: 1 deleted, 0 held by another or free. */
  drLeaderRelease: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;

type LeaseClient = Redis & {
  drLeaderAcquire(key: string, token: string, ttlMs: number): Promise<number>;
  drLeaderRenew(key: string, token: string, ttlMs: number): Promise<number>;
  drLeaderRelease(key: string, token: string): Promise<number>;
};

/**
 * The leader lease on Redis (standalone or Sentinel). Uses its own connection, so renewals are not
 * queued behind run traffic; every command has the client's command timeout as its deadline.
 */
export class RedisLeaderLease implements LeaderLease {
  private readonly keys: RedisKeys;
  private readonly redis: LeaseClient;

  constructor(redis: Redis, keyPrefix = "drbot:") {
    this.keys = redisKeys(keyPrefix);
    for (const [name, script] of Object.entries(LEADER_SCRIPTS))
      if (!(name in redis)) redis.defineCommand(name, script);
    this.redis = redis as LeaseClient;
  }

  async acquire(name: string, token: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.call("take the leader lease", () =>
        this.redis.drLeaderAcquire(this.keys.leader(name), token, ttlMs),
      )) === 1
    );
  }

  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.call("renew the leader lease", () =>
        this.redis.drLeaderRenew(this.keys.leader(name), token, ttlMs),
      )) === 1
    );
  }

  async release(name: string, token: string): Promise<void> {
    await this.call("release the leader lease", () =>
      this.redis.drLeaderRelease(this.keys.leader(name), token),
    );
  }

  async holder(name: string): Promise<string | undefined> {
    return (
      (await this.call("read the leader lease", () => this.redis.get(this.keys.leader(name)))) ?? undefined
    );
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(
      // QUIT failed (the connection is already gone, or the deadline passed): drop it instead.
      () => this.redis.disconnect(),
    );
  }

  private async call<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new DrError(
        "unavailable",
        `Redis did not ${what}: ${redactRedisUrls(describeError(error))}`,
        {},
        { cause: error },
      );
    }
  }
}
