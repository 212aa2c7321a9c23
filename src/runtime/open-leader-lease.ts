import { connectRedis, createRedisClient } from "../adapters/redis/create-redis-client.js";
import { RedisLeaderLease } from "../adapters/redis/redis-leader-lease.js";
import type { Config } from "../domain/config.js";

/** The leader lease on the configured Redis, on a connection of its own. */
export async function openLeaderLease(config: Config, env: NodeJS.ProcessEnv): Promise<RedisLeaderLease> {
  const client = createRedisClient(config.redis, env);
  await connectRedis(client, Math.max(config.redis.commandTimeout, 3_000));
  return new RedisLeaderLease(client, config.redis.keyPrefix);
}
