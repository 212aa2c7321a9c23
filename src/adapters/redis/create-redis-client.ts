import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../../domain/config.js";
import { DrError, describeError } from "../../domain/errors.js";

/**
 * An ioredis client from the configuration: a plain URL (REDIS_URL wins over the file) or Sentinel.
 *
 * Deadlines: every command carries `commandTimeout`, also while it waits in the offline queue, so a
 * command issued during a reconnect (a Redis restart, a Sentinel failover) is sent once the
 * connection is back or fails within the deadline; nothing waits forever. `maxRetriesPerRequest`
 * bounds how many reconnect attempts a queued command sits through. Failures surface on each
 * command; RedisRunStore turns them into DrError("unavailable").
 *
 * Secrets: passwords come from the environment variables the configuration names (`passwordEnv`),
 * never from the file, and no message built here contains them or a URL's credentials.
 *
 * Throws DrError("invalid_config") when no Redis is configured or a named variable is not set.
 */
export function createRedisClient(config: Config["redis"], env: NodeJS.ProcessEnv): Redis {
  const password = readSecret(env, config.passwordEnv, "redis.passwordEnv");
  const common: RedisOptions = {
    commandTimeout: config.commandTimeout,
    connectTimeout: Math.max(config.commandTimeout, 2_000),
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    ...(password !== undefined ? { password } : {}),
  };
  const url = env.REDIS_URL ?? config.url;
  if (config.sentinel && !env.REDIS_URL) {
    const sentinelPassword = readSecret(env, config.sentinel.passwordEnv, "redis.sentinel.passwordEnv");
    return quiet(
      new Redis({
        ...common,
        sentinels: config.sentinel.sentinels,
        name: config.sentinel.name,
        sentinelCommandTimeout: config.commandTimeout,
        ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
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

function readSecret(env: NodeJS.ProcessEnv, name: string | undefined, path: string): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  if (value === undefined || value === "")
    throw new DrError("invalid_config", `${path} names ${name}, but that environment variable is not set`, {
      path,
    });
  return value;
}

/**
 * Connection errors surface on each command as DrError("unavailable"); the client's own error
 * events are expected while it reconnects and must not crash the process or flood the log.
 */
function quiet(client: Redis): Redis {
  client.on("error", () => undefined);
  return client;
}

/** Connects within `timeoutMs` or says, without credentials, what could not be reached. */
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
    throw new DrError(
      "unavailable",
      `cannot connect to Redis: ${redactRedisUrls(describeError(error))}`,
      {},
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Drops the user and password from any redis:// or rediss:// URL in a message; the host stays. */
export function redactRedisUrls(message: string): string {
  return message.replace(/(rediss?:\/\/)[^\s/@]*@/gi, "$1");
}
