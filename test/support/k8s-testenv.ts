import { createHash } from "node:crypto";
import { access, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { type Config, configSchema } from "../../src/domain/config.js";
import { requireVeleroBinaries, type VeleroTestEnv, veleroTestEnv } from "./velero-testenv.js";
import { waitFor } from "./wait-for.js";

/**
 * Two real local clusters (dc1 primary, dc2 DR), started by `scripts/testenv up` in a temporary
 * directory (10-20 s with cached binaries). In the k8s test tier one pair serves the whole run: the
 * tier's global setup (k8s-global-setup.ts) starts it and sets DRBOT_TESTENV_DIR, the files take
 * turns on it, and each works in namespaces of its own (`ns`), so what one file leaves behind never
 * meets another. A file that stops an API server has it started again when it stops the clusters.
 * With DRBOT_TESTENV_DIR set by a person, clusters already up there are reused and left running;
 * without it (a benchmark), the caller gets a pair of its own, stopped by `stop()`.
 *
 * A file that runs real Velero (startTestClustersWithVelero) always gets a pair of its own, with
 * Velero on both clusters and a bucket of their own: Velero's state (schedules, backups synced
 * both ways through the bucket, storage locations made read-only or read-write) belongs to the
 * whole cluster, and the shared pair's files install Velero's CRDs, play its server with a test
 * controller and remove its API group.
 *
 * The binaries are built once by scripts/k8s-build (15-30 min, cached in ~/.cache/drbot-k8s). When
 * they are missing this fails with that instruction instead of building inside a test run.
 */
export type ClusterName = "dc1" | "dc2";

export interface HungEndpoint {
  port: number;
  url: string;
  /** A kubeconfig whose context `hung` points at the endpoint (with dc1's CA and credentials). */
  kubeconfigPath: string;
  context: "hung";
  /** How many connections it has accepted (and never answered). */
  connections(): number;
  /** How many of them are still open: a client that gave up by its deadline closed its own. */
  open(): number;
  close(): Promise<void>;
}

export interface TestClusters {
  dir: string;
  kubeconfigPath: string;
  /** Same file as kubeconfigPath. */
  kubeconfig: string;
  /** Admin contexts (client certificates, system:masters). */
  contexts: Record<ClusterName, string>;
  /** Token users without any rights until a test grants some. */
  botContexts: Record<ClusterName, string>;
  /** Token users that may only get, list and watch Deployments. */
  readonlyContexts: Record<ClusterName, string>;
  kubectl(context: string, ...args: string[]): Promise<string>;
  /** Creates the namespace unless it exists (a namespace every file shares, such as velero). */
  ensureNamespace(context: string, name: string): Promise<void>;
  /**
   * Deletes every CRD of an API group (`velero.io`) and waits until the API server no longer serves
   * it: a test of "not installed" makes its own precondition on clusters other files install into.
   */
  removeApiGroup(context: string, group: string): Promise<void>;
  /** Kills a cluster's API server: its port then refuses connections. */
  stopApiServer(cluster: ClusterName): Promise<void>;
  /** Starts it again on the same port and etcd and waits for /readyz. */
  startApiServer(cluster: ClusterName): Promise<void>;
  /** A local TCP server that accepts connections and never answers: a hung API server. */
  hangEndpoint(): Promise<HungEndpoint>;
  /** A copy of the kubeconfig with every server replaced by one hung endpoint (contexts kept). */
  hungKubeconfig(): Promise<string>;
  /**
   * This file's name for a namespace: `ns("production")` is `production-<file tag>`, the same for
   * the whole test file and different for every other file sharing the clusters.
   */
  ns(name: string): string;
  /** A drbot configuration with both sites on these clusters (payments in this file's namespaces). */
  config(overrides?: Record<string, unknown>): Config;
  /**
   * The same configuration as written in a file, before parsing (durations as text): what to write
   * to a drbot.yaml. A parsed Config written back would turn milliseconds into seconds.
   */
  rawConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

const REQUIRED_BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "kwok",
  "kwok-stages.yaml",
];

/**
 * Where scripts/k8s-build keeps the binaries (DRBOT_K8S_BIN or the versioned cache); throws, saying
 * how to build them, when any is missing. Never builds: that takes 15-30 minutes.
 */
export async function requireClusterBinaries(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const bin =
    (await execa("bash", ["scripts/k8s-build", "bin-dir"], { env, extendEnv: false })).stdout
      .trim()
      .split("\n")
      .pop() ?? "";
  const missing: string[] = [];
  for (const name of REQUIRED_BINARIES) {
    try {
      await access(join(bin, name));
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0)
    throw new Error(
      `Kubernetes test binaries missing in ${bin}: ${missing.join(", ")}. ` +
        "Build them once with `bash scripts/k8s-build` (Go >= 1.24 and the Go module proxy; 15-30 min, cached).",
    );
  return bin;
}

/**
 * A short tag naming the test file that runs now ("k8s-observe-1f3a"): its name, and a hash of its
 * path so that two files of one name in different folders differ too. Outside vitest: the process.
 */
async function fileTag(): Promise<string> {
  const path = process.env.VITEST
    ? ((await import("vitest")).expect.getState().testPath ?? `pid-${process.pid}`)
    : `pid-${process.pid}`;
  const name = basename(path)
    .replace(/(\.k8s)?\.test\.ts$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 20)
    .replace(/^-+|-+$/g, "");
  return `${name}-${createHash("sha256").update(path).digest("hex").slice(0, 4)}`;
}

/** The clusters with real Velero on both and the shared bucket (velero-testenv.ts). */
export interface TestClustersWithVelero extends TestClusters {
  velero: VeleroTestEnv;
}

/** A pair of clusters of this file's own with real Velero (`scripts/testenv up --velero`), stopped by `stop()`. */
export async function startTestClustersWithVelero(): Promise<TestClustersWithVelero> {
  const clusters = await startTestClusters({ velero: true });
  try {
    return { ...clusters, velero: await veleroTestEnv(clusters.dir, clusters.kubeconfigPath) };
  } catch (error) {
    await clusters.stop();
    throw error;
  }
}

export async function startTestClusters(options: { velero?: boolean } = {}): Promise<TestClusters> {
  const bin = await requireClusterBinaries();
  if (options.velero) await requireVeleroBinaries();
  const tag = await fileTag();
  const ns = (name: string) => `${name}-${tag}`.slice(0, 63);
  const reuse = options.velero ? undefined : process.env.DRBOT_TESTENV_DIR;
  const dir = reuse ?? join(tmpdir(), `drbot-testenv-${process.pid}-${Date.now()}`);
  const env = { ...process.env, DRBOT_TESTENV_DIR: dir };
  const testenv = (...args: string[]) =>
    execa("bash", ["scripts/testenv", ...args], { env, reject: false, timeout: 300_000 });
  const up = await testenv("up", ...(options.velero ? ["--velero"] : []));
  if (up.exitCode !== 0)
    throw new Error(`scripts/testenv up failed (logs in ${dir}/*/logs):\n${up.stderr.slice(-2000)}`);
  const kubeconfigPath = join(dir, "kubeconfig");
  const hung: HungEndpoint[] = [];
  /** API servers this file stopped and has not started again. */
  const stopped = new Set<ClusterName>();

  const clusters: TestClusters = {
    dir,
    kubeconfigPath,
    kubeconfig: kubeconfigPath,
    contexts: { dc1: "dc1", dc2: "dc2" },
    botContexts: { dc1: "dc1-bot", dc2: "dc2-bot" },
    readonlyContexts: { dc1: "dc1-readonly", dc2: "dc2-readonly" },
    async kubectl(context, ...args) {
      const result = await execa(
        join(bin, "kubectl"),
        ["--kubeconfig", kubeconfigPath, "--context", context, ...args],
        { timeout: 60_000 },
      );
      return result.stdout;
    },
    async ensureNamespace(context, name) {
      const found = await clusters.kubectl(
        context,
        "get",
        "namespace",
        name,
        "--ignore-not-found",
        "-o",
        "name",
      );
      if (!found.trim()) await clusters.kubectl(context, "create", "namespace", name);
    },
    async removeApiGroup(context, group) {
      const crds = (await clusters.kubectl(context, "get", "crd", "-o", "name"))
        .split("\n")
        .filter((name) => name.endsWith(`.${group}`));
      if (crds.length > 0) await clusters.kubectl(context, "delete", "--wait=true", "--timeout=60s", ...crds);
      await waitFor(
        async () =>
          (await clusters.kubectl(context, "api-resources", `--api-group=${group}`, "-o", "name")).trim() ===
          "",
        { timeoutMs: 60_000, intervalMs: 200, description: `${context} to stop serving ${group}` },
      );
    },
    async stopApiServer(cluster) {
      stopped.add(cluster);
      const r = await testenv("stop-apiserver", cluster);
      if (r.exitCode !== 0) throw new Error(`could not stop the API server of ${cluster}: ${r.stderr}`);
    },
    async startApiServer(cluster) {
      const r = await testenv("start-apiserver", cluster);
      if (r.exitCode !== 0) throw new Error(`could not start the API server of ${cluster}: ${r.stderr}`);
      stopped.delete(cluster);
    },
    async hangEndpoint() {
      const endpoint = await listenHung(dir, kubeconfigPath);
      hung.push(endpoint);
      return endpoint;
    },
    async hungKubeconfig() {
      const endpoint = await clusters.hangEndpoint();
      const original = await readFile(kubeconfigPath, "utf8");
      const file = join(dir, `hung-all-${endpoint.port}.kubeconfig`);
      await writeFile(file, original.replace(/https:\/\/127\.0\.0\.1:\d+/g, endpoint.url), { mode: 0o600 });
      return file;
    },
    ns,
    config(overrides = {}) {
      return configSchema.parse(rawTestConfig(kubeconfigPath, ns, overrides));
    },
    rawConfig(overrides = {}) {
      return rawTestConfig(kubeconfigPath, ns, overrides);
    },
    async stop() {
      await Promise.all(hung.map((h) => h.close()));
      if (reuse) {
        // The next file finds both API servers up, whatever this one did or how it ended.
        for (const cluster of stopped) await clusters.startApiServer(cluster);
        return;
      }
      const down = await testenv("down");
      // Keep the logs of clusters that did not stop cleanly; otherwise leave nothing in /tmp.
      if (down.exitCode === 0) await rm(dir, { recursive: true, force: true });
    },
  };
  return clusters;
}

export async function stopTestClusters(clusters: TestClusters | undefined): Promise<void> {
  await clusters?.stop();
}

async function listenHung(dir: string, kubeconfigPath: string): Promise<HungEndpoint> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    // Reads (and drops) what the client sends, never answering: reading is what lets it see the
    // client close its end, so `open()` counts only connections the client still holds.
    socket.resume();
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = parse(await readFile(kubeconfigPath, "utf8")) as KubeconfigFile;
  const cluster = kubeconfig.clusters.find((c) => c.name === "dc1")!;
  const kubeconfigFile = join(dir, `hung-${port}.kubeconfig`);
  await writeFile(
    kubeconfigFile,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "hung", cluster: { ...cluster.cluster, server: url } }],
      users: kubeconfig.users.filter((u) => u.name === "dc1-admin"),
      contexts: [{ name: "hung", context: { cluster: "hung", user: "dc1-admin" } }],
      "current-context": "hung",
    }),
    { mode: 0o600 },
  );
  return {
    port,
    url,
    kubeconfigPath: kubeconfigFile,
    context: "hung",
    connections: () => accepted,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface KubeconfigFile {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}

function rawTestConfig(
  kubeconfigPath: string,
  ns: (name: string) => string,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  return {
    sites: [
      {
        name: "dc1",
        role: "primary",
        kubeconfig: { path: kubeconfigPath, context: "dc1" },
        requestTimeout: "2s",
        // DC1's address ranges as a drill's isolation cuts them off (made up: KWOK routes nothing).
        networks: ["10.1.0.0/16", "fd00:1::/48"],
      },
      { name: "dc2", role: "dr", kubeconfig: { path: kubeconfigPath, context: "dc2" }, requestTimeout: "2s" },
    ],
    tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
    applications: [
      {
        name: "payments",
        tier: "tier1",
        namespaces: [ns("production"), ns("staging")],
        workloads: [
          { namespace: ns("production"), name: "payments-api", replicas: 3 },
          { namespace: ns("staging"), name: "payments-api", replicas: 2 },
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
  };
}
