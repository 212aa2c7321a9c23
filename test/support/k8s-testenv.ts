import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { type Config, configSchema } from "../../src/domain/config.js";

/**
 * Two real local clusters for a test file, started by scripts/testenv in a temporary directory
 * (about 6 s with cached binaries) and stopped afterwards. Set DRBOT_TESTENV_DIR to reuse clusters
 * that are already up.
 */
export interface TestClusters {
  dir: string;
  kubeconfig: string;
  kubectl(context: string, ...args: string[]): Promise<string>;
  /** Stops a cluster's API server (its port then refuses connections). */
  stopApiServer(cluster: "dc1" | "dc2"): Promise<void>;
  /** A kubeconfig whose context `hung` points at a local port that accepts and never answers. */
  hungKubeconfig(): Promise<string>;
  config(overrides?: Record<string, unknown>): Config;
  stop(): Promise<void>;
}

export async function startTestClusters(): Promise<TestClusters> {
  const reuse = process.env.DRBOT_TESTENV_DIR;
  const dir = reuse ?? join(tmpdir(), `drbot-testenv-${process.pid}-${Date.now()}`);
  const up = await execa("bash", ["scripts/testenv", "up"], {
    env: { ...process.env, DRBOT_TESTENV_DIR: dir },
    reject: false,
    timeout: 45 * 60_000,
  });
  if (up.exitCode !== 0)
    throw new Error(
      `scripts/testenv up failed (build the binaries with scripts/k8s-build):\n${up.stderr.slice(-2000)}`,
    );
  const bin = (await execa("bash", ["scripts/k8s-build", "bin-dir"])).stdout.trim().split("\n").pop()!;
  const kubeconfig = join(dir, "kubeconfig");
  const hung: { server?: Server; sockets: Set<Socket> } = { sockets: new Set() };
  return {
    dir,
    kubeconfig,
    async kubectl(context, ...args) {
      return (
        await execa(join(bin, "kubectl"), ["--kubeconfig", kubeconfig, "--context", context, ...args], {
          timeout: 60_000,
        })
      ).stdout;
    },
    async stopApiServer(cluster) {
      const pid = Number(await readFile(join(dir, cluster, "apiserver.pid"), "utf8"));
      process.kill(pid, "SIGTERM");
    },
    async hungKubeconfig() {
      hung.server = createServer((socket) => {
        hung.sockets.add(socket);
        socket.on("close", () => hung.sockets.delete(socket));
      });
      await new Promise<void>((resolve) => hung.server!.listen(0, "127.0.0.1", resolve));
      const port = (hung.server.address() as { port: number }).port;
      const original = await readFile(kubeconfig, "utf8");
      const file = join(dir, "hung.kubeconfig");
      const server = /server: (https:\/\/127\.0\.0\.1:\d+)/.exec(original)![1]!;
      await writeFile(file, original.replaceAll(server, `https://127.0.0.1:${port}`));
      return file;
    },
    config(overrides = {}) {
      return configSchema.parse({
        sites: [
          {
            name: "dc1",
            role: "primary",
            kubeconfig: { path: kubeconfig, context: "dc1" },
            requestTimeout: "2s",
          },
          { name: "dc2", role: "dr", kubeconfig: { path: kubeconfig, context: "dc2" }, requestTimeout: "2s" },
        ],
        tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
        applications: [
          {
            name: "payments",
            tier: "tier1",
            namespaces: ["production", "staging"],
            workloads: [
              { namespace: "production", name: "payments-api", replicas: 3 },
              { namespace: "staging", name: "payments-api", replicas: 2 },
            ],
          },
        ],
        slack: {
          incidentChannels: ["C0INCIDENT"],
          permissions: {
            failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
            drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } },
          },
        },
        ...overrides,
      });
    },
    async stop() {
      for (const s of hung.sockets) s.destroy();
      hung.server?.close();
      if (!reuse)
        await execa("bash", ["scripts/testenv", "down"], {
          env: { ...process.env, DRBOT_TESTENV_DIR: dir },
          reject: false,
        });
    },
  };
}
