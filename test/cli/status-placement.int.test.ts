import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "../../src/cli/main.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";

/**
 * `drbot status` says where drbot and its Redis run and warns when that is the primary site, from
 * the configuration or from what a pod sees (KUBERNETES_SERVICE_HOST, DRBOT_SITE). Real Redis; the
 * sites' kubeconfig does not exist, so they are reported down, which is beside the point here.
 */
let redis: RedisServer;
let dir = "";

async function writeConfig(name: string, placement: Record<string, string> | undefined): Promise<string> {
  const kubeconfig = { path: join(dir, "no-such.kubeconfig") };
  const file = join(dir, name);
  await writeFile(
    file,
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { ...kubeconfig, context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { ...kubeconfig, context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      ...(placement ? { placement } : {}),
    }),
  );
  return file;
}

async function status(
  config: string,
  env: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runCli(["status"], {
    out: (t) => lines.push(t),
    err: (t) => lines.push(t),
    env: {
      PATH: process.env.PATH,
      DRBOT_CONFIG: config,
      DRBOT_RUNBOOKS: join(dir, "runbooks"),
      REDIS_URL: redis.url,
      ...env,
    },
  });
  return { code, text: lines.join("\n") };
}

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "drbot-status-placement-"));
  await mkdir(join(dir, "runbooks"));
});
afterAll(async () => {
  await redis?.stop();
});

describe("drbot status and where drbot lives", () => {
  it("warns when the configuration puts drbot and its Redis in the primary site", async () => {
    const { code, text } = await status(await writeConfig("primary.yaml", { bot: "dc1", redis: "dc1" }));
    expect(code).toBe(0);
    expect(text).toContain("drbot runs in: dc1 (configured); Redis: dc1 (configured)");
    expect(text).toContain(
      "warning: drbot runs in the primary site dc1 (from the configuration): if dc1 goes down, drbot goes with it; run it outside dc1",
    );
    expect(text).toContain("warning: drbot's Redis runs in the primary site dc1 (from the configuration)");
  });

  it("detects a pod of the primary site and warns about it", async () => {
    const { text } = await status(await writeConfig("plain.yaml", undefined), {
      KUBERNETES_SERVICE_HOST: "10.96.0.1",
      DRBOT_SITE: "dc1",
    });
    expect(text).toContain("drbot runs in: dc1 (detected in-cluster); Redis: unknown");
    expect(text).toContain("warning: drbot runs in the primary site dc1 (detected in-cluster)");
  });

  it("does not warn when drbot and its Redis run in the DR site", async () => {
    const { text } = await status(await writeConfig("dr.yaml", { bot: "dc2", redis: "dc2" }));
    expect(text).toContain("drbot runs in: dc2 (configured); Redis: dc2 (configured)");
    expect(text).not.toContain("primary site");
  });
});
