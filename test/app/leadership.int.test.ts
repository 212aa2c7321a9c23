import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLeaderLease } from "../../src/adapters/redis/redis-leader-lease.js";
import { Leadership } from "../../src/app/leadership.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

let redis: RedisServer;
const leases: RedisLeaderLease[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(leases.map((l) => l.close()));
  await redis.stop();
});

/** A replica: its own connection to the same Redis, competing for the same lease. */
async function replica(name: string, prefix: string, ttlMs = 1_000) {
  const client = new Redis(redis.url, { commandTimeout: 500, lazyConnect: true });
  client.on("error", () => undefined);
  await client.connect();
  const lease = new RedisLeaderLease(client, prefix);
  leases.push(lease);
  const log: string[] = [];
  const beats = { count: 0 };
  const counted = {
    acquire: (n: string, t: string, ms: number) => {
      beats.count++;
      return lease.acquire(n, t, ms);
    },
    renew: (n: string, t: string, ms: number) => {
      beats.count++;
      return lease.renew(n, t, ms);
    },
    release: (n: string, t: string) => lease.release(n, t),
    holder: (n: string) => lease.holder(n),
  };
  const leadership = new Leadership({
    lease: counted,
    name: "watch",
    token: name,
    ttlMs,
    onGained: () => log.push("gained"),
    onLost: () => log.push("lost"),
  });
  return { leadership, log, beats };
}

describe("leadership among replicas", () => {
  it("gives the lease to exactly one of two replicas", async () => {
    const a = await replica("a", "one:");
    const b = await replica("b", "one:");
    a.leadership.start();
    b.leadership.start();
    await waitFor(() => a.leadership.isLeader || b.leadership.isLeader, { description: "a leader" });
    // Several beats later there is still exactly one, and it never changed hands.
    await waitFor(() => a.beats.count >= 4 && b.beats.count >= 4, { description: "four beats each" });
    expect([...a.log, ...b.log]).toEqual(["gained"]);
    expect([a.leadership.isLeader, b.leadership.isLeader].filter(Boolean)).toHaveLength(1);
    await a.leadership.stop();
    await b.leadership.stop();
  });

  it("hands over at once when the leader stops, and within the TTL when it dies", async () => {
    const a = await replica("a", "two:");
    a.leadership.start();
    await waitFor(() => a.leadership.isLeader, { description: "a to lead" });
    const b = await replica("b", "two:");
    b.leadership.start();
    await a.leadership.stop();
    await waitFor(() => b.leadership.isLeader, {
      timeoutMs: 2_000,
      description: "b to take over after a stopped",
    });
    expect(a.log).toEqual(["gained", "lost"]);

    const c = await replica("c", "two:");
    c.leadership.start();
    await b.leadership.abandon();
    await waitFor(() => c.leadership.isLeader, {
      timeoutMs: 3_000,
      description: "c to take over after b died",
    });
    expect(c.log).toEqual(["gained"]);
    await c.leadership.stop();
  });

  it("steps down when Redis stops answering, so it never leads unconfirmed", async () => {
    const own = await startRedisServer();
    const client = new Redis(own.url, { commandTimeout: 200, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined);
    await client.connect();
    const lease = new RedisLeaderLease(client, "three:");
    const log: string[] = [];
    const leadership = new Leadership({
      lease,
      name: "watch",
      token: "solo",
      ttlMs: 900,
      onGained: () => log.push("gained"),
      onLost: () => log.push("lost"),
    });
    leadership.start();
    await waitFor(() => leadership.isLeader, { description: "to lead" });
    await own.stop();
    await waitFor(() => !leadership.isLeader, { timeoutMs: 3_000, description: "to step down" });
    expect(log).toEqual(["gained", "lost"]);
    await leadership.stop();
    client.disconnect();
  });
});
