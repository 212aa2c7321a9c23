import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SiteHealth } from "../../src/domain/site-health.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The replay guard remembers every signed Slack request in Redis before the ack. When Redis does not
 * answer (here a real redis-server behind a TCP proxy that blackholes the path), a request that
 * changes a run cannot be told from a replay, so it is refused, over HTTP through the real Bolt,
 * while `/dr status` still answers.
 */

let redis: RedisServer;
let proxy: TcpProxy;
let h: SlackHarness | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy({ port: Number(new URL(redis.url).port) });
});
afterEach(async () => {
  proxy.restore();
  await h?.stop();
  h = undefined;
});
afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
});

const healthy = (site: string): SiteHealth => ({
  site,
  reachable: true,
  ready: true,
  nodes: [],
  readyNodes: 0,
  latencyMs: 3,
  version: "v1.31.0",
});

describe("Slack requests while the replay store does not answer", () => {
  it("refuses a request and an approval, changing nothing, while /dr status still answers", async () => {
    h = await startSlackHarness({
      runbooks: [testRunbook({ name: "failover", phases: [{ name: "main", steps: [effect("scale-up")] }] })],
      store: await openTestRedisStore(`redis://127.0.0.1:${proxy.port}`, "slow-store:"),
      siteHealth: async (site) => healthy(site),
    });
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    const card = await h.findMessage("Failover requested");
    const runId = (await h.store.listRuns())[0]!.id;

    proxy.blackhole();
    const request = await h.dr("U0GROUPIE", 'drill payments --reason "while Redis is away"');
    expect(request.status).toBe(200);
    expect(JSON.parse(request.body)).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("*Not done*: drbot's store is not answering"),
    });
    const approve = await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    expect(approve.status).toBe(503);
    const status = await h.dr("U0STRANGER", "status");
    expect(status.status).toBe(200);
    const answer = await h.emulator.waitForEphemeral("U0STRANGER", "RPO per tier", { timeoutMs: 15_000 });
    expect(answer.text).toContain("• *dc2* (dr): :large_green_circle: healthy");
    expect(answer.text).toContain("active runs could not be read");

    proxy.restore();
    await waitFor(async () => (await h!.store.listRuns()).length >= 1, {
      description: "Redis to answer again",
    });
    const runs = await h.store.listRuns();
    expect(runs.map((r) => r.id)).toEqual([runId]);
    expect(runs[0]!.approvals).toEqual([]);
    expect(runs[0]!.state).toBe("pending_approval");
  });
});
