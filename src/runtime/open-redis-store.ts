import { connectRedis, createRedisClient, redisLocation } from "../adapters/redis/create-redis-client.js";
import { RedisReadinessStore } from "../adapters/redis/redis-readiness-store.js";
import { RedisRunStore } from "../adapters/redis/redis-run-store.js";
import { RedisSiteState } from "../adapters/redis/redis-site-state.js";
import type { Environment } from "../config/environment.js";
import type { Config } from "../domain/config.js";
import type { Logger } from "../ports/logger.js";
import type { ReadinessStore } from "../ports/readiness-store.js";
import type { RunStore } from "../ports/run-store.js";
import type { SiteStateStore } from "../ports/site-state.js";

/** Opens the configured Redis, and the run store, the site state and the kept readiness round on that one connection. */
export async function openRedisStore(
  config: Config,
  env: Environment,
  log: Logger,
): Promise<{ store: RunStore; siteState: SiteStateStore; readiness: ReadinessStore }> {
  const client = createRedisClient(config.redis, env, log.child({ component: "redis" }));
  await connectRedis(client, Math.max(config.redis.commandTimeout, 3_000));
  // Behind Sentinel there is a replica to fail over to, unless the configuration says otherwise.
  const replicaExpected = config.redis.expectReplica ?? redisLocation(config.redis, env).kind === "sentinel";
  return {
    store: new RedisRunStore(
      client,
      config.redis.keyPrefix,
      { maxEventsPerRun: config.redis.maxEventsPerRun, maxAuditEvents: config.redis.maxAuditEvents },
      { replicaExpected },
    ),
    siteState: new RedisSiteState(client, config.redis.keyPrefix),
    readiness: new RedisReadinessStore(client, {
      keyPrefix: config.redis.keyPrefix,
      deadlineMs: config.redis.commandTimeout,
    }),
  };
}
