import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";

/**
 * An ioredis client from the configuration: a plain URL (REDIS_URL wins over the file) or Sentinel.
 * Every command has a deadline (`commandTimeout`); commands issued during a reconnect wait in the
 * offline queue for at most that long, so a Redis restart or Sentinel failover loses nothing and
 * nothing waits forever. Passwords come from the environment variables the config names.
 */
export function createRedisClient(config: Config["redis"], env: NodeJS.ProcessEnv): Redis {
  const common: RedisOptions = {
    commandTimeout: config.commandTimeout,
    connectTimeout: Math.max(config.commandTimeout, 2_000),
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    ...(config.passwordEnv && env[config.passwordEnv] ? { password: env[config.passwordEnv] } : {}),
  };
  const url = env.REDIS_URL ?? config.url;
  if (config.sentinel && !env.REDIS_URL) {
    return quiet(
      new Redis({
        ...common,
        sentinels: config.sentinel.sentinels,
        name: config.sentinel.name,
        ...(config.sentinel.passwordEnv && env[config.sentinel.passwordEnv]
          ? { sentinelPassword: env[config.sentinel.passwordEnv] }
          : {}),
      }),
    );
  }
  if (!url)
    throw new DrError(
      "invalid_config",
      "no Redis: set redis.url or redis.sentinel in the configuration, or REDIS_URL",
    );
  return quiet(new Redis(url, common));
}

/**
 * Connection errors surface on each command as DrError("unavailable"); the client's own error
 * events are expected while it reconnects and must not crash the process or flood the log.
 */
function quiet(client: Redis): Redis {
  client.on("error", () => undefined);
  return client;
}

/** Connects within the command timeout or says, without credentials, what could not be reached. */
export async function connectRedis(client: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const reason =
      error instanceof Error ? error.message.replace(/redis(s)?:\/\/[^\s]+/gi, "redis://…") : String(error);
    throw new DrError("unavailable", `cannot reach Redis: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}
