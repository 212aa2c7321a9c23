import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, createRedisClient } from "../../../src/adapters/redis/create-redis-client.js";
import { RedisRunStore } from "../../../src/adapters/redis/redis-run-store.js";
import { configSchema } from "../../../src/domain/config.js";
import type { RunStore } from "../../../src/ports/run-store.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { openTestRedisStore } from "../../support/redis-store-fixture.js";
import { describeRunStoreContract, runRecord, waitOut } from "../run-store.contract.js";

let server: RedisServer;
const stores: RunStore[] = [];
beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

describeRunStoreContract("Redis", async () => {
  const store = await openTestRedisStore(server.url, `contract-${Math.random().toString(36).slice(2)}:`);
  stores.push(store);
  return { store, elapse: waitOut };
});

describe("Redis run store on a real server", () => {
  it("loses no run, step or event across a Redis restart", async () => {
    const store = await openTestRedisStore(server.url, "restart:");
    stores.push(store);
    const run = runRecord();
    await store.createRun(run, [{ id: "a", status: "not_started", attempts: 0 }], {
      type: "run.requested",
      at: 1,
      actor: "t",
      runId: run.id,
      data: {},
    });
    await store.putStep(
      run.id,
      { id: "a", status: "succeeded", attempts: 1 },
      { type: "step.state", at: 2, actor: "t", runId: run.id, data: {} },
    );
    await server.restart();
    // The client reconnects by itself; commands issued meanwhile wait in its queue, bounded.
    expect(await store.getRun(run.id)).toEqual(run);
    expect((await store.getSteps(run.id)).get("a")).toMatchObject({ status: "succeeded" });
    expect((await store.readEvents(run.id)).map((e) => e.type)).toEqual(["run.requested", "step.state"]);
  });

  it("answers unavailable within the command deadline when Redis is gone", async () => {
    const lonely = await startRedisServer();
    const config = configSchema.parse({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { context: "a" } },
        { name: "dc2", role: "dr", kubeconfig: { context: "b" } },
      ],
      tiers: [{ name: "t", rto: "1h", rpo: "1m" }],
      applications: [{ name: "a", tier: "t", namespaces: ["n"] }],
      redis: { url: lonely.url, commandTimeout: "300ms" },
    });
    const client = createRedisClient(config.redis, {});
    await connectRedis(client, 2_000);
    const store = new RedisRunStore(client, "gone:");
    await store.kvSet("x", "1");
    await lonely.stop();
    await expect(store.getRun("anything")).rejects.toMatchObject({ code: "unavailable" });
    client.disconnect();
  });

  it("refuses to connect to a missing server with a message that hides the URL's password", async () => {
    const client = createRedisClient(
      { url: "redis://:hunter2@127.0.0.1:1", keyPrefix: "x:", commandTimeout: 300 },
      {},
    );
    const error = await connectRedis(client, 500).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "unavailable" });
    expect(String((error as Error).message)).not.toContain("hunter2");
  });
});
