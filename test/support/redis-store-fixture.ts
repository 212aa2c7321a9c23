import { Redis } from "ioredis";
import { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";

/** A Redis run store on a test server, with its own key prefix so tests do not see each other. */
export async function openTestRedisStore(url: string, prefix: string): Promise<RedisRunStore> {
  const client = new Redis(url, { commandTimeout: 2_000, maxRetriesPerRequest: 3, lazyConnect: true });
  client.on("error", () => undefined);
  await client.connect();
  return new RedisRunStore(client, prefix);
}
