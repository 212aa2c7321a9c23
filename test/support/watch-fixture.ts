import { Redis } from "ioredis";
import { RedisLeaderLease } from "../../src/adapters/redis/redis-leader-lease.js";

/** A leader lease on a test Redis, on its own connection, with the test's key prefix. */
export async function openTestLeaderLease(url: string, prefix: string): Promise<RedisLeaderLease> {
  const client = new Redis(url, { commandTimeout: 1_000, maxRetriesPerRequest: 1, lazyConnect: true });
  client.on("error", () => undefined);
  await client.connect();
  return new RedisLeaderLease(client, prefix);
}
