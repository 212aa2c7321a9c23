import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseExposition } from "../support/prometheus-text.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * What `drbot serve`'s /readyz tells Kubernetes and an SRE, in a process of its own on real Redis:
 * a configuration file broken or removed under the running bot leaves it ready (it keeps serving
 * what it validated at start, and every replica reads the same file) but says so in the body, in
 * the log and in `drbot_config_file_valid`; Redis going away makes it unready until Redis is back.
 */
const DRILL = `
name: drill
title: Readiness drill
kind: drill
phases:
  - name: prepare
    steps:
      - { id: settle, title: Settle, kind: wait, with: { duration: 100ms } }
`;

let redis: RedisServer;
let serve: ServeProcess;
let dir: string;
let configFile: string;
let original: string;
let env: Record<string, string>;
let revived: { stop(): Promise<void> } | undefined;
const REDIS_PASSWORD = "readiness-redis-secret-4f9a";

const configText = (tiers: Array<Record<string, unknown>>) =>
  stringify({
    sites: [
      { name: "dc1", role: "primary", kubeconfig: { path: join(dir, "no-such.kubeconfig"), context: "dc1" } },
      { name: "dc2", role: "dr", kubeconfig: { path: join(dir, "no-such.kubeconfig"), context: "dc2" } },
    ],
    tiers,
    applications: [
      {
        name: "payments",
        tier: "tier1",
        namespaces: ["production"],
        workloads: [{ namespace: "production", name: "payments-api", replicas: 3 }],
      },
    ],
    slack: {
      incidentChannels: ["C0INCIDENT"],
      permissions: { drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } } },
    },
    engine: { leaseTtl: "2s" },
    watch: { enabled: false },
    redis: { passwordEnv: "DRBOT_TEST_REDIS_PASSWORD" },
  });

async function readyz() {
  return serve.get("/readyz");
}

async function configGauges() {
  const m = parseExposition((await serve.get("/metrics")).body);
  return { valid: m.value("drbot_config_file_valid", {}), changed: m.value("drbot_config_file_changed", {}) };
}

beforeAll(async () => {
  redis = await startRedisServer({ requirePass: REDIS_PASSWORD });
  dir = await mkdtemp(join(tmpdir(), "drbot-serve-readiness-"));
  await mkdir(join(dir, "runbooks"));
  await writeFile(join(dir, "runbooks", "drill.yaml"), DRILL);
  configFile = join(dir, "drbot.yaml");
  original = configText([{ name: "tier1", rto: "2h", rpo: "15m" }]);
  await writeFile(configFile, original);
  env = {
    DRBOT_CONFIG: configFile,
    DRBOT_RUNBOOKS: join(dir, "runbooks"),
    REDIS_URL: redis.url,
    DRBOT_TEST_REDIS_PASSWORD: REDIS_PASSWORD,
  };
  serve = await startServeProcess(env);
}, 90_000);

afterAll(async () => {
  await serve?.stop();
  await revived?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("drbot serve's readiness", () => {
  it("is ready with the configuration it started with", async () => {
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body).toBe(
      "ready\nredis: ok\nconfig: ok (2 sites, 1 applications, 1 runbooks)\nsupervisor: ok\n",
    );
    expect(await configGauges()).toEqual({ valid: 1, changed: 0 });
  });

  it("says a valid change on disk waits for a restart", async () => {
    await writeFile(
      configFile,
      configText([
        { name: "tier1", rto: "2h", rpo: "15m" },
        { name: "tier2", rto: "8h", rpo: "1h" },
      ]),
    );
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.split("\n")[0]).toBe("ready");
    expect(ready.body).toContain(
      "config: ok (2 sites, 1 applications, 1 runbooks); the file changed on disk and validates: restart to apply it",
    );
    expect(await configGauges()).toEqual({ valid: 1, changed: 1 });
  });

  it("stays ready on the last good configuration when the file becomes invalid, and says why and that a restart would fail", async () => {
    await writeFile(configFile, configText([{ name: "tier1", rto: "2h", rpo: "fifteen minutes" }]));
    const ready = await readyz();
    expect(ready.status).toBe(200);
    const lines = ready.body.trimEnd().split("\n");
    expect(lines[0]).toBe("ready, with a warning");
    expect(lines[1]).toBe("redis: ok");
    expect(lines[2]).toMatch(
      /^config: WARNING: still serving the configuration validated at start \(2 sites, 1 applications, 1 runbooks\), but a restart would refuse to start: the file changed on disk and is INVALID: /,
    );
    expect(lines[2]).toContain(`${configFile}:15: tiers[0].rpo`);
    expect(lines[3]).toBe("supervisor: ok");
    expect(await configGauges()).toEqual({ valid: 0, changed: 1 });
    await waitFor(() => serve.output().includes("refuse to start: the file changed on disk and is INVALID"), {
      description: "the warning in serve's log",
    });

    // The warning is true: a process started on this file refuses to start, naming the same place.
    const fresh = await execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "validate"], {
      env: { ...process.env, ...env },
      reject: false,
      timeout: 60_000,
    });
    expect(fresh.exitCode).not.toBe(0);
    expect(fresh.stderr + fresh.stdout).toContain("tiers[0].rpo");
    // And the running one still serves.
    expect((await serve.get("/healthz")).status).toBe(200);
  });

  it("stays ready when the file can no longer be read, and says so", async () => {
    await rename(configFile, `${configFile}.moved`);
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.split("\n")[0]).toBe("ready, with a warning");
    expect(ready.body).toContain(
      `config: WARNING: still serving the configuration validated at start (2 sites, 1 applications, 1 runbooks), but a restart would refuse to start: ${configFile} can no longer be read (ENOENT)\n`,
    );
    expect(await configGauges()).toEqual({ valid: 0, changed: 1 });
  });

  it("is plainly ready again once the file is back as it was, and logs that once", async () => {
    await rm(`${configFile}.moved`);
    await writeFile(configFile, original);
    expect(await readFile(configFile, "utf8")).toBe(original);
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body).toBe(
      "ready\nredis: ok\nconfig: ok (2 sites, 1 applications, 1 runbooks)\nsupervisor: ok\n",
    );
    expect(await configGauges()).toEqual({ valid: 1, changed: 0 });
    const said = serve.output();
    expect(said.match(/refuse to start: the file changed on disk and is INVALID/g)).toHaveLength(1);
    expect(serve.logLines()).toContainEqual(
      expect.objectContaining({
        level: "info",
        operation: "serve.config-file",
        msg: "config: ok (2 sites, 1 applications, 1 runbooks)",
      }),
    );
  });

  it("turns unready with the reason when Redis goes away, and ready again when it is back", async () => {
    await redis.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    const lines = down.body.trimEnd().split("\n");
    expect(lines[0]).toBe("not ready");
    expect(lines[1]).toMatch(/^redis: unavailable \(.+\)$/);

    // The same port again, as a restarted Redis pod behind its Service would be.
    revived = await startRedisOnPort(redis.port);
    await waitFor(async () => (await readyz()).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: "ready again once Redis answers",
    });
    expect((await readyz()).body).toContain("redis: ok");
    expect(`${down.body}${serve.output()}`).not.toContain(REDIS_PASSWORD);
  });
});

/** A bare redis-server on a given port (with the test's password), stopped in afterAll. */
async function startRedisOnPort(port: number): Promise<{ stop(): Promise<void> }> {
  const data = await mkdtemp(join(tmpdir(), "drbot-readiness-redis-"));
  const child = execa(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", data, "--save", "", "--appendonly", "no"].concat(
      ["--requirepass", REDIS_PASSWORD],
    ),
    { stdin: "ignore", reject: false, cleanup: true },
  );
  return {
    async stop() {
      child.kill("SIGTERM");
      await child;
      await rm(data, { recursive: true, force: true });
    },
  };
}
