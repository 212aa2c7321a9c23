import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { parseExposition } from "../support/prometheus-text.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";

/**
 * In Socket Mode Slack's traffic comes over a WebSocket, so Bolt opens no HTTP port: drbot serve
 * still answers /healthz, /readyz and /metrics on its management port, for Kubernetes probes and
 * Prometheus, and opens nothing on PORT.
 */
let redis: RedisServer;
let emulator: SlackEmulator;
let serve: ServeProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  emulator = new SlackEmulator({ mode: "socket" });
  await emulator.start();
  const dir = await mkdtemp(join(tmpdir(), "drbot-serve-socket-"));
  await mkdir(join(dir, "runbooks"));
  await writeFile(
    join(dir, "drbot.yaml"),
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { path: join(dir, "none"), context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { path: join(dir, "none"), context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      placement: { bot: "dc2", redis: "dc2" },
    }),
  );
  serve = await startServeProcess({
    DRBOT_CONFIG: join(dir, "drbot.yaml"),
    DRBOT_RUNBOOKS: join(dir, "runbooks"),
    REDIS_URL: redis.url,
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_APP_TOKEN: emulator.appToken,
    SLACK_SOCKET_MODE: "true",
    SLACK_API_URL: emulator.apiUrl,
  });
}, 90_000);

afterAll(async () => {
  await serve?.stop();
  await emulator?.stop();
  await redis?.stop();
});

describe("drbot serve in Socket Mode", () => {
  it("connects to Slack over a WebSocket and still serves its endpoints over HTTP", async () => {
    await emulator.waitForSocket({ timeoutMs: 20_000 });
    expect((await serve.get("/healthz")).body).toBe("ok\n");
    expect((await serve.get("/readyz")).status).toBe(200);
    const metrics = await serve.get("/metrics");
    expect(metrics.type).toContain("text/plain");
    const m = parseExposition(metrics.body);
    expect(m.value("drbot_placement_in_primary", { component: "bot" })).toBe(0);
    expect(m.value("drbot_placement_known", { component: "redis" })).toBe(1);
    expect(
      m.value("drbot_slack_api_calls_total", { method: "apps.connections.open" }),
    ).toBeGreaterThanOrEqual(1);
    // Nothing listens on PORT: Socket Mode needs no inbound port at all.
    await expect(serve.getOnSlackPort("/healthz")).rejects.toThrow();
  });
});
