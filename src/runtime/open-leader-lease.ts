import { connectRedis, createRedisClient } from "../adapters/redis/create-redis-client.js";
import { RedisLeaderLease } from "../adapters/redis/redis-leader-lease.js";
import type { Environment } from "../config/environment.js";
import type { Config } from "../domain/config.js";
import type { Logger } from "../ports/logger.js";

/** The leader lease on the configured Redis, on a connection of its own. */
export async function openLeaderLease(
  config: Config,
  env: Environment,
  log: Logger,
): Promise<RedisLeaderLease> {
  const client = createRedisClient(config.redis, env, log.child({ component: "redis-lease" }));
  await connectRedis(client, Math.max(config.redis.commandTimeout, 3_000));
  return new RedisLeaderLease(client, config.redis.keyPrefix);
}
