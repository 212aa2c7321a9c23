import { connectRedis, createRedisClient } from "../adapters/redis/create-redis-client.js";
import { RedisRunStore } from "../adapters/redis/redis-run-store.js";
import { RedisSiteState } from "../adapters/redis/redis-site-state.js";
import type { Environment } from "../config/environment.js";
import type { Config } from "../domain/config.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";
import type { SiteStateStore } from "../ports/site-state.js";

/** Opens the configured Redis, and the run store and the site state on that one connection. */
export async function openRedisStore(
  config: Config,
  env: Environment,
  log: Logger,
): Promise<{ store: RunStore; siteState: SiteStateStore }> {
  const client = createRedisClient(config.redis, env, log.child({ component: "redis" }));
  await connectRedis(client, Math.max(config.redis.commandTimeout, 3_000));
  return {
    store: new RedisRunStore(client, config.redis.keyPrefix, {
      maxEventsPerRun: config.redis.maxEventsPerRun,
      maxAuditEvents: config.redis.maxAuditEvents,
    }),
    siteState: new RedisSiteState(client, config.redis.keyPrefix),
  };
}
