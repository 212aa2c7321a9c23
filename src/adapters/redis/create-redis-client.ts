import { Redis, type RedisOptions } from "ioredis";
import type { Environment, NamedVariables } from "../../config/environment.js";
import type { Config } from "../../domain/config.js";
import { DrError, describeError } from "../../domain/errors.js";
import { type Logger, silentLogger } from "../../ports/logger.js";

/** What the client reads from the parsed environment: its Redis variables, and the passwords the configuration names. */
export type RedisEnvironment = Pick<
  Environment,
  | "REDIS_URL"
  | "REDIS_SENTINELS"
  | "REDIS_SENTINEL_NAME"
  | "REDIS_SENTINEL_ADDRESS_MAP"
  | "REDIS_PASSWORD"
  | "REDIS_SENTINEL_PASSWORD"
> & { named: NamedVariables };

/**
 * An ioredis client from the configuration and the environment: a plain URL or Sentinel.
 *
 * The environment wins over the file (a Deployment sets it, the file stays the same everywhere):
 * REDIS_URL replaces redis.url and any Sentinel; REDIS_SENTINELS (`host:port,host:port`) replaces
 * redis.sentinel.sentinels, with REDIS_SENTINEL_NAME for the master's name (default: the file's,
 * else "drbot"). Passwords come from the variables the configuration names (`passwordEnv`), or when
 * it names none, from REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD; never from the file.
 *
 * Deadlines: every command carries `commandTimeout`, also while it waits in the offline queue, so a
 * command issued during a reconnect (a Redis restart, a Sentinel failover) is sent once the
 * connection is back or fails within the deadline; nothing waits forever. That deadline is the only
 * bound (`maxRetriesPerRequest: null`): a count of reconnect attempts would fail every queued
 * command at once when it is reached, even one issued a moment before the new master answers.
 * Failures surface on each command; RedisRunStore turns them into DrError("unavailable").
 *
 * Failover: through Sentinel the client asks for the master on every (re)connect, checks the
 * server's role, and listens for the Sentinels' +switch-master so it leaves a demoted master at
 * once. A write refused with READONLY (it reached a replica: a failover happened under the
 * connection) was not applied, so the client reconnects and sends it again, to the new master.
 *
 * Addresses: the Sentinels name the master (and each other) by the addresses they announce. Where
 * this process cannot reach those (drbot in another cluster, behind a NAT or a tunnel),
 * REDIS_SENTINEL_ADDRESS_MAP says where it reaches each one instead; an address it does not list is
 * used as announced. The map applies after every failover, to whichever server is master then.
 *
 * Secrets: no message built here contains a password or a URL's credentials.
 *
 * Throws DrError("invalid_config") when no Redis is configured or a named variable is not set.
 */
export function createRedisClient(
  config: Config["redis"],
  env: RedisEnvironment,
  log: Logger = silentLogger,
): Redis {
  const target = redisTarget(config, env);
  const common: RedisOptions = {
    commandTimeout: config.commandTimeout,
    connectTimeout: Math.max(config.commandTimeout, 2_000),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
    ...(target.password !== undefined ? { password: target.password } : {}),
  };
  if (target.kind === "sentinel")
    return logOutages(
      log,
      new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        sentinelCommandTimeout: config.commandTimeout,
        sentinelRetryStrategy: (times) => Math.min(100 * times, 2_000),
        failoverDetector: true,
        ...(env.REDIS_SENTINEL_ADDRESS_MAP ? { natMap: env.REDIS_SENTINEL_ADDRESS_MAP } : {}),
        ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
      }),
    );
  return logOutages(log, new Redis(target.url, common));
}

/** Where Redis is: a URL, or the Sentinels and the master's name. */
export type RedisLocation =
  | { kind: "url"; url: string }
  | { kind: "sentinel"; name: string; sentinels: { host: string; port: number }[] };

/** Where Redis is and the passwords to use. */
export type RedisTarget = RedisLocation & { password?: string; sentinelPassword?: string };

/** Where Redis is: the environment's REDIS_URL or REDIS_SENTINELS over the file's (see createRedisClient). */
export function redisLocation(
  config: Config["redis"],
  env: Pick<RedisEnvironment, "REDIS_URL" | "REDIS_SENTINELS" | "REDIS_SENTINEL_NAME">,
): RedisLocation {
  if (env.REDIS_URL) return { kind: "url", url: env.REDIS_URL };
  const sentinels = env.REDIS_SENTINELS ?? (config.url ? undefined : config.sentinel?.sentinels);
  if (sentinels)
    return {
      kind: "sentinel",
      name: env.REDIS_SENTINEL_NAME ?? config.sentinel?.name ?? "drbot",
      sentinels,
    };
  if (!config.url)
    throw new DrError(
      "invalid_config",
      "no Redis: set redis.url or redis.sentinel in the configuration, or REDIS_URL or REDIS_SENTINELS",
    );
  return { kind: "url", url: config.url };
}

/** The location and the passwords, read from the variables the configuration names or the defaults. */
export function redisTarget(config: Config["redis"], env: RedisEnvironment): RedisTarget {
  const location = redisLocation(config, env);
  const password = config.passwordEnv
    ? readSecret(env.named, config.passwordEnv, "redis.passwordEnv")
    : env.REDIS_PASSWORD;
  const sentinelPassword =
    location.kind !== "sentinel"
      ? undefined
      : config.sentinel?.passwordEnv
        ? readSecret(env.named, config.sentinel.passwordEnv, "redis.sentinel.passwordEnv")
        : env.REDIS_SENTINEL_PASSWORD;
  return {
    ...location,
    ...(password !== undefined ? { password } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
  };
}

function readSecret(named: NamedVariables, name: string | undefined, path: string): string | undefined {
  if (name === undefined) return undefined;
  const value = named[name];
  if (value === undefined || value === "")
    throw new DrError("invalid_config", `${path} names ${name}, but that environment variable is not set`, {
      path,
    });
  return value;
}

/**
 * Connection errors surface on each command as DrError("unavailable"). The client's own error events
 * repeat at every reconnect attempt while Redis is away (every 50 ms to 2 s), so they must neither
 * crash the process (an unheard "error" event would) nor flood the log: one line when the connection
 * is lost, with why, and one when it is back.
 */
function logOutages(log: Logger, client: Redis): Redis {
  let down = false;
  client.on("error", (error: unknown) => {
    if (down) return;
    down = true;
    log.warn("lost the connection to Redis; commands fail until it is back", {
      operation: "redis.connection",
      err: error,
    });
  });
  client.on("ready", () => {
    if (down) log.info("the connection to Redis is back", { operation: "redis.connection" });
    down = false;
  });
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
