import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";
import { execa } from "execa";
import { stringify } from "yaml";
import { installDnsEndpointCrd } from "../test/support/external-dns-crds.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../test/support/k8s-testenv.js";
import { type PostgresPair, startPostgresPair } from "../test/support/postgres-pair.js";
import { waitFor } from "../test/support/wait-for.js";
import type { BenchResult } from "./bench-kit.js";
import { imageNodeOptions } from "./failover.bench.js";

/**
 * The whole failover, end to end, on the local clusters: DC1 runs 20 namespaces of 10 Deployments
 * each (with a ConfigMap and a Service per namespace) backed up by real Velero into the shared
 * bucket; DC2 is a warm standby (the same Deployments at 0 replicas) whose Velero has synced the
 * backup; the real PostgreSQL pair replicates. Then DC1's API server is stopped: the disaster.
 *
 * On the same clusters, one after another (DC2 put back to standby in between):
 * - the strategy's script 07 as written, one command after another: `kubectl scale deployment
 *   --all` for each namespace, `velero restore create --from-backup` of the newest backup, waited
 *   for, and `kubectl get pods -A`;
 * - the same commands as a competent SRE would parallelise them: every namespace's scale at once,
 *   with the restore beside them;
 * - drbot: the shipped failover runbook, unchanged, from the last approval to the run's end: fence
 *   (unconfirmed: DC1 does not answer), promote the replica, activate, restore, scale, wait until
 *   every Deployment is Ready, DNS weights switched, the application's health checked.
 */
const NAMESPACES = 20;
const PER_NAMESPACE = 10;
const APPLICATION = "bench";

export async function run(): Promise<BenchResult> {
  const [clusters, pg, health] = await Promise.all([
    startTestClustersWithVelero(),
    startPostgresPair(),
    startHealthServer(),
  ]);
  try {
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${String(i).padStart(2, "0")}`);
    await seedWorkloads(clusters, namespaces);
    await clusters.velero.cli(
      "dc1",
      "schedule",
      "create",
      "daily-backup",
      "--schedule=0 2 * * *",
      "--ttl=720h",
      `--include-namespaces=${namespaces.join(",")}`,
    );
    const backup = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
    await clusters.velero.waitForBackup("dc2", backup, 3 * 60_000);
    await installDnsEndpointCrd(clusters, "dc2");
    await clusters.kubectl("dc2", "create", "namespace", "dns");
    const configFile = join(clusters.dir, "drbot-bench.yaml");
    await writeFile(configFile, stringify(benchConfig(clusters, pg, health, namespaces)));

    // The disaster.
    await clusters.stopApiServer("dc1");
    const loadAtStart = loadavg()[0]!;

    // Each command a process of its own, as in the script.
    const kubectl = (...args: string[]) => clusters.kubectl("dc2", ...args);
    const velero = (...args: string[]) =>
      execa(
        clusters.velero.bin,
        ["--kubeconfig", clusters.kubeconfigPath, "--kubecontext", "dc2", "-n", "velero", ...args],
        {
          timeout: 10 * 60_000,
        },
      );
    // Script 07 picks the newest with `velero backup get --output=name | head -n1`, which Velero 1.18
    // refuses (no "name" output): the newest backup by one kubectl query instead.
    const newestBackup = async () =>
      (
        await kubectl(
          "get",
          "backups.velero.io",
          "-n",
          "velero",
          "--sort-by=.status.startTimestamp",
          "-o",
          "name",
        )
      )
        .trim()
        .split("\n")
        .pop()!
        .replace(/^.*\//, "");

    // Script 07, one command after another.
    const sequentialStart = performance.now();
    for (const ns of namespaces) await kubectl("scale", "deployment", "--all", "--replicas=1", "-n", ns);
    await velero("restore", "create", "--from-backup", await newestBackup(), "--wait");
    await kubectl("get", "pods", "-A");
    const sequentialMs = performance.now() - sequentialStart;
    await backToStandby(clusters, namespaces);

    // Script 07 parallelised: every namespace at once, the restore beside them.
    const parallelStart = performance.now();
    await Promise.all([
      ...namespaces.map((ns) => kubectl("scale", "deployment", "--all", "--replicas=1", "-n", ns)),
      (async () => velero("restore", "create", "--from-backup", await newestBackup(), "--wait"))(),
    ]);
    await kubectl("get", "pods", "-A");
    const parallelMs = performance.now() - parallelStart;
    await backToStandby(clusters, namespaces);

    // drbot, in its own process, compiled as in the image.
    const script = join(process.cwd(), "bench", "results", "failover-e2e-drbot.mjs");
    await build({
      entryPoints: ["bench/failover-e2e-drbot.ts"],
      bundle: true,
      packages: "external",
      platform: "node",
      format: "esm",
      target: "node22",
      outfile: script,
      absWorkingDir: process.cwd(),
      logLevel: "error",
    });
    const nodeOptions = await imageNodeOptions();
    const child = await execa(
      process.execPath,
      [script, configFile, join(process.cwd(), "runbooks"), APPLICATION],
      {
        timeout: 10 * 60_000,
        env: {
          NODE_PATH: join(process.cwd(), "node_modules"),
          NODE_OPTIONS: nodeOptions,
          PG_TEST_PASSWORD: pg.drbotPassword,
        },
      },
    );
    const drbot = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
      ms: number;
      state: string;
      exceptions: string[];
      activationMs?: number;
      validationMs?: number;
      phases: Record<string, number>;
      steps: Record<string, number>;
      apiCalls: number;
      peakRssMb: number;
      rssBeforeRunMb: number;
      restore?: string;
    };
    const ready = (
      await kubectl(
        "get",
        "deployments",
        "-A",
        "-l",
        "tier=web",
        "-o",
        'jsonpath={range .items[*]}{.status.readyReplicas}{"\\n"}{end}',
      )
    )
      .split("\n")
      .filter((l) => l.trim() === "1").length;
    const weights = await kubectl(
      "get",
      "dnsendpoints",
      "-n",
      "dns",
      "-o",
      "jsonpath={.items[*].spec.endpoints[*].providerSpecific[0].value}",
    );

    return {
      name: "failover-e2e",
      figures: [
        {
          name: "deployments Ready on DC2 after drbot's run",
          value: ready,
          unit: "deployments",
          target: { op: ">=", value: NAMESPACES * PER_NAMESPACE },
        },
        { name: "script 07, sequential", value: sequentialMs, unit: "ms" },
        { name: "script 07, parallel", value: parallelMs, unit: "ms" },
        {
          name: "drbot, approval to completion",
          value: drbot.ms,
          unit: "ms",
          target: { op: "<", value: 120_000 },
        },
        {
          name: "drbot / sequential script",
          value: drbot.ms / sequentialMs,
          unit: "ratio",
          target: { op: "<=", value: 0.5 },
        },
        {
          name: "drbot / parallel script",
          value: drbot.ms / parallelMs,
          unit: "ratio",
          target: { op: "<=", value: 1 },
        },
        { name: "drbot RTO activation", value: drbot.activationMs ?? Number.NaN, unit: "ms" },
        { name: "drbot RTO validation", value: drbot.validationMs ?? Number.NaN, unit: "ms" },
        ...Object.entries(drbot.phases).map(([phase, ms]) => ({
          name: `drbot phase ${phase}`,
          value: ms,
          unit: "ms",
        })),
        ...Object.entries(drbot.steps).map(([step, ms]) => ({
          name: `drbot step ${step}`,
          value: ms,
          unit: "ms",
        })),
        { name: "drbot Kubernetes and Velero API calls", value: drbot.apiCalls, unit: "calls" },
        { name: "drbot peak RSS", value: drbot.peakRssMb, unit: "MB" },
        { name: "drbot RSS loaded, before the run", value: drbot.rssBeforeRunMb, unit: "MB" },
      ],
      notes: [
        `${NAMESPACES} namespaces × ${PER_NAMESPACE} Deployments (1 replica) with a ConfigMap and a Service each, on KWOK (no containers run; a pod is Ready once scheduled); backup ${backup} by real Velero ${"v1.18.3"} through versitygw, synced to DC2 before DC1's API server was stopped`,
        "the scripts end at `kubectl get pods -A`, as script 07 does: they do not wait for the pods to be Ready, fence, promote the database, move DNS or check health; drbot's run ends when every Deployment is Ready and the health checks pass",
        "the scripts restore the whole backup (script 07's `velero restore create --from-backup`); drbot's shipped failover leaves out ReplicaSets and pods (DR's Deployments make their own) and restores while it scales DR's standby Deployments up",
        `drbot's run ended ${drbot.state}${drbot.exceptions.length ? `, the steps that need DC1 failing as the runbook allows: ${drbot.exceptions.join("; ")}` : ""}`,
        `drbot's restore: ${drbot.restore ?? "(no summary)"}; DNS weights on DC2 afterwards: ${weights}`,
        `drbot runs in its own process, compiled to JavaScript, node options as in the image: ${nodeOptions || "(none)"}; API calls are counted per call to its Kubernetes and Velero ports (a rollout wait counts once)`,
        "no Longhorn source protects the benchmark's application: activate-volumes has nothing to activate (longhorn-manager cannot run here; `npm run bench -- longhorn` measures the activation of 10 DR volumes against its test controller)",
        `load average (1 min) when the contenders started: ${loadAtStart.toFixed(1)}, when drbot's run ended: ${loadavg()[0]!.toFixed(1)}, on ${availableParallelism()} CPUs`,
      ],
    };
  } finally {
    await Promise.all([clusters.stop(), pg.stop(), health.close()]);
  }
}

async function seedWorkloads(clusters: TestClustersWithVelero, namespaces: readonly string[]): Promise<void> {
  const deployments = (ns: string, replicas: number) =>
    Array.from(
      { length: PER_NAMESPACE },
      (_, j) =>
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-${j}, namespace: ${ns}, labels: {tier: web}}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: app-${j}}}\n  template:\n    metadata: {labels: {app: app-${j}, tier: web}}\n    spec: {containers: [{name: c, image: registry.example/app:1}]}`,
    );
  const primary = namespaces.flatMap((ns) => [
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: ${ns}, labels: {tier: web}}\ndata: {mode: production}`,
    `apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: ${ns}, labels: {tier: web}}\nspec: {selector: {tier: web}, ports: [{port: 80}]}`,
    ...deployments(ns, 1),
  ]);
  const standby = namespaces.flatMap((ns) => [
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
    ...deployments(ns, 0),
  ]);
  for (const [cluster, docs] of [
    ["dc1", primary],
    ["dc2", standby],
  ] as const) {
    const file = join(clusters.dir, `bench-${cluster}.yaml`);
    await writeFile(file, docs.join("\n---\n"));
    await clusters.kubectl(cluster, "apply", "-f", file);
  }
  await waitFor(
    async () =>
      (
        await clusters.kubectl(
          "dc1",
          "get",
          "deployments",
          "-A",
          "-l",
          "tier=web",
          "-o",
          'jsonpath={range .items[*]}{.status.readyReplicas}{"\\n"}{end}',
        )
      )
        .split("\n")
        .filter((l) => l === "1").length ===
      namespaces.length * PER_NAMESPACE,
    { timeoutMs: 5 * 60_000, intervalMs: 1_000, description: "DC1's Deployments to be Ready" },
  );
}

/** DC2 as it was before a contender ran: every Deployment at 0, no pod, nothing a restore created. */
async function backToStandby(clusters: TestClustersWithVelero, namespaces: readonly string[]): Promise<void> {
  await Promise.all(
    namespaces.map((ns) => clusters.kubectl("dc2", "scale", "deployment", "--all", "--replicas=0", "-n", ns)),
  );
  await Promise.all(
    namespaces.map((ns) =>
      clusters.kubectl(
        "dc2",
        "delete",
        "configmaps,services,pods,replicasets.apps",
        "-n",
        ns,
        "-l",
        "velero.io/restore-name",
        "--wait=false",
      ),
    ),
  );
  await waitFor(
    async () =>
      (await clusters.kubectl("dc2", "get", "pods", "-A", "-l", "tier=web", "-o", "name")).trim() === "" &&
      (
        await clusters.kubectl(
          "dc2",
          "get",
          "configmaps,services",
          "-A",
          "-l",
          "velero.io/restore-name",
          "-o",
          "name",
        )
      ).trim() === "",
    { timeoutMs: 5 * 60_000, intervalMs: 1_000, description: "DC2 back to standby" },
  );
}

function benchConfig(
  clusters: TestClustersWithVelero,
  pg: PostgresPair,
  health: HealthServer,
  namespaces: readonly string[],
): Record<string, unknown> {
  const base = clusters.rawConfig() as { sites: Record<string, unknown>[] };
  const team = { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } };
  return {
    sites: base.sites.map((s) => ({ ...s, requestTimeout: "10s" })),
    tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
    applications: [
      {
        name: APPLICATION,
        tier: "tier1",
        namespaces,
        workloads: namespaces.map((ns) => ({ namespace: ns, name: "*", replicas: 1 })),
        dataSources: ["velero-daily", "postgres-main"],
        healthChecks: [{ name: "api", url: health.url, timeout: "2s" }],
      },
    ],
    dataSources: [
      { name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" },
      pg.source({ name: "postgres-main" }),
    ],
    slack: { incidentChannels: ["C0INCIDENT"], permissions: { failover: team } },
    dns: {
      provider: { kind: "external-dns", site: "dc2", namespace: "dns" },
      records: [
        {
          name: "app.example.com",
          applications: [APPLICATION],
          type: "CNAME",
          ttl: 60,
          weights: { dc1: 100, dc2: 0 },
          targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
        },
      ],
    },
  };
}

interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/** The application's health endpoint on DC2, answering 200. */
async function startHealthServer(): Promise<HealthServer> {
  const server: Server = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/plain" }).end("ok"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/healthz`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
