import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvironment } from "../../src/config/environment.js";
import { DEMO_CHANNEL } from "../../src/demo/demo-config.js";
import { REDIS_INSTALL_HINT } from "../../src/demo/local-redis.js";
import { type RunningDemo, startDemo } from "../../src/demo/start-demo.js";
import { typeDrCommand } from "../support/confirm-run.js";

/**
 * A laptop without redis-server: the demo starts anyway, keeps its runs in memory, says so on its
 * output and on the page's banner, and tells how to install Redis. The machine running this test has
 * redis-server; the demo is given a PATH (an empty directory) on which it cannot find it.
 */
let demo: RunningDemo;
let emptyBin: string;
const lines: string[] = [];

beforeAll(async () => {
  emptyBin = await mkdtemp(join(tmpdir(), "drbot-demo-no-redis-"));
  demo = await startDemo({
    root: process.cwd(),
    env: parseEnvironment({ ...process.env, PATH: emptyBin }),
    log: (line) => lines.push(line),
  });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  await rm(emptyBin, { recursive: true, force: true });
});

describe("the demo without redis-server", () => {
  it("runs on the in-memory store and says how to install Redis", async () => {
    expect(demo.store).toBe("memory");
    expect(lines).toContain(`${REDIS_INSTALL_HINT}. Until then the demo keeps its runs in memory.`);
    expect(REDIS_INSTALL_HINT).toContain("apt-get install -y redis-server");
    expect(REDIS_INSTALL_HINT).toContain("brew install redis");

    // The page's banner, as the page reads it.
    const state = await fetch(`${demo.url}page/state?user=U0ONCALL1&channel=${DEMO_CHANNEL.id}`, {
      signal: AbortSignal.timeout(5_000),
    });
    expect(state.status).toBe(200);
    const { banner } = (await state.json()) as { banner: string };
    expect(banner).toContain("store: in memory (no redis-server)");
  });

  it("still answers /dr status and records a request in memory", async () => {
    const { emulator } = demo;
    await emulator.sendSlashCommand({ userId: "U0ONCALL1", channelId: DEMO_CHANNEL.id, text: "status" });
    const status = await emulator.waitForEphemeral("U0ONCALL1", (e) => e.text.includes("RPO per tier"), {
      timeoutMs: 15_000,
    });
    expect(status.text).toContain("SIMULATED");
    await typeDrCommand(emulator, {
      userId: "U0ONCALL1",
      channelId: DEMO_CHANNEL.id,
      text: 'failover payments --reason "no Redis here"',
    });
    await emulator.waitForMessage(DEMO_CHANNEL.id, "Failover requested", { timeoutMs: 15_000 });
    const runs = await demo.runtime.store.listRuns();
    expect(runs.map((r) => [r.kind, r.state])).toEqual([["failover", "pending_approval"]]);
  });
});
