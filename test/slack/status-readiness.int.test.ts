import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisReadinessStore } from "../../src/adapters/redis/redis-readiness-store.js";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { FixedReadiness, readinessRound } from "../support/readiness-fixture.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { RANDOM, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { startTcpProxy } from "../support/tcp-proxy.js";

/**
 * Readiness in `/dr status` through the emulator and the real @slack/bolt, runs and audit in a real
 * Redis. The kept round is a fixture ReadinessSource (the watch leader's round is tested on its own);
 * a source that never answers stands for a readiness store that does not answer.
 */
let redis: RedisServer;
let store: RedisRunStore | undefined;
let h: SlackHarness | undefined;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await h?.stop();
  await store?.close();
  h = undefined;
  store = undefined;
});

const failover = testRunbook({
  name: "failover",
  phases: [{ name: "activate", steps: [effect("scale-up")] }],
});

async function start(readiness: FixedReadiness | RedisReadinessStore): Promise<SlackHarness> {
  store = await openTestRedisStore(redis.url, `status-readiness-${process.pid}-${++prefixes}:`);
  h = await startSlackHarness({ runbooks: [failover], store, readiness });
  return h;
}

/** What the person sees; `afterPlaceholder` skips the "checking…" note a slow reading sends first. */
async function answer(text: string, afterPlaceholder = false): Promise<string> {
  const seen = h!.ephemeralCount("U0STRANGER");
  const ack = await h!.dr("U0STRANGER", text, RANDOM);
  expect(ack.status).toBe(200);
  return h!.lastEphemeral("U0STRANGER", afterPlaceholder ? seen + 1 : seen);
}

describe("readiness in /dr status", () => {
  it("shows one line per tier with the age of the kept round", async () => {
    await start(new FixedReadiness(readinessRound(Date.now() - 2 * 60_000)));
    const text = await answer("status");
    expect(text).toContain("*Readiness*: round 2m ago");
    expect(text).toContain("• :red_circle: tier1: not ready: payments not ready, core-api degraded");
    expect(text).toContain("• :large_green_circle: tier3: ready (1 application)");
  });

  it("says readiness is not yet assessed before the first round", async () => {
    await start(new FixedReadiness(undefined));
    expect(await answer("status")).toContain("*Readiness*: not yet assessed");
  });

  it("answers `/dr status payments` with its findings, evidence and what to do", async () => {
    await start(new FixedReadiness(readinessRound(Date.now() - 60_000)));
    const text = await answer("status payments");
    expect(text).toContain("*Readiness of payments (tier1)*: round 1m ago");
    expect(text).toContain(
      "    ◦ :red_circle: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
    );
    expect(text).toContain("        → deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)");
  });

  it("refuses an unknown name with the valid ones, audits it, and reads nothing", async () => {
    const readiness = new FixedReadiness(readinessRound(Date.now()));
    await start(readiness);
    const text = await answer("status paymnts");
    expect(text).toBe(
      '*Unknown tier or application*: "paymnts" is neither a tier nor an application. Tiers: tier1, tier3. Applications: payments, core-api, analytics',
    );
    expect(readiness.reads).toBe(0);
    const audit = await h!.service.auditTrail();
    expect(audit.map((e) => [e.type, e.actor, e.data.code, e.data.command])).toEqual([
      ["run.refusal", "U0STRANGER", "unknown_scope", "status"],
    ]);
  });

  it("answers within its deadline when the readiness store does not answer, saying it could not be read", async () => {
    const readiness = new FixedReadiness(readinessRound(Date.now()));
    readiness.hang = true;
    await start(readiness);
    const text = await answer("status", true);
    expect(text).toContain(":warning: *Readiness*: readiness could not be read: no answer within 2s");
    expect(text).toContain("*Active runs*: none");
  });

  it("answers with the sites when the Redis keeping the round stops answering, saying the round could not be read (never 'not assessed')", async () => {
    const proxy = await startTcpProxy({ port: Number(new URL(redis.url).port) });
    const client = new Redis(`redis://127.0.0.1:${proxy.port}`, {
      lazyConnect: true,
      commandTimeout: 5_000,
      maxRetriesPerRequest: 1,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const kept = new RedisReadinessStore(client, { keyPrefix: `status-readiness-${process.pid}-kept:` });
      await kept.keep(readinessRound(Date.now() - 60_000));
      await start(kept);
      // A round is kept; the network to that Redis breaks before anyone asks.
      proxy.blackhole();
      const text = await answer("status", true);
      expect(text).toMatch(/:warning: \*Readiness\*: readiness could not be read: /);
      expect(text).toContain("• *dc2* (dr)");
      expect(text).toContain("*Active runs*: none");
    } finally {
      client.disconnect();
      await proxy.stop();
    }
  });
});
