import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../src/config/environment.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../test/support/k8s-testenv.js";
import { type BenchResult, type Figure, percentile } from "./bench-kit.js";

/**
 * The readiness round at the size the issue names, on the local test clusters: 3 tiers, 30
 * applications, 300 workloads (10 per application, each on both sites: dc1 serving, dc2 standing by
 * at 0 replicas), each application with its service account, Role, RoleBinding, ConfigMap, Secret
 * and a suspended-on-standby CronJob, read by drbot's own checks (createRuntime's assessReadiness:
 * the Kubernetes inventories of both sites, TLS, the run history). Then `/dr status` answer time
 * (DrService.status, fresh readings) measured idle and while rounds run back to back, to show a
 * round does not slow a command's answer.
 *
 * What this cannot show: KWOK runs no containers (images are compared as pod templates name them);
 * both clusters and drbot share this machine's 2 cores, so a round competes with the API servers it
 * reads, which a real deployment does not.
 */
const TIERS = [
  { name: "tier1", rto: "2h", rpo: "15m" },
  { name: "tier2", rto: "4h", rpo: "1h" },
  { name: "tier3", rto: "8h", rpo: "24h" },
];
const APPS_PER_TIER = 10;
const WORKLOADS_PER_APP = 10;
const ROUNDS = 5;
const STATUS_SAMPLES = 25;
/** `status` reuses a reading this long (read-status.ts); each sample waits it out to read afresh. */
const STATUS_REUSE_MS = 2_000;

interface App {
  name: string;
  tier: string;
  namespace: string;
}

/** One site's objects for every application, as one multi-document manifest. */
function manifest(apps: readonly App[], serving: boolean): string {
  const docs: string[] = [];
  for (const { name, namespace: ns } of apps) {
    docs.push(
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
      `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${ns}}`,
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${name}-reader, namespace: ${ns}}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]`,
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${name}-reader, namespace: ${ns}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}-reader}\nsubjects: [{kind: ServiceAccount, name: ${name}, namespace: ${ns}}]`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}-config, namespace: ${ns}}\ndata: {mode: live}`,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}-db, namespace: ${ns}}\nstringData: {password: bench-only}`,
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ${name}-settle, namespace: ${ns}}\nspec:\n  schedule: "0 0 1 1 *"\n  suspend: ${!serving}\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: settle, image: registry.example/${name}-settle:2.0}]`,
    );
    for (let w = 0; w < WORKLOADS_PER_APP; w++)
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: w${w}, namespace: ${ns}}
spec:
  replicas: ${serving ? 1 : 0}
  selector: {matchLabels: {app: w${w}}}
  template:
    metadata: {labels: {app: w${w}}}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: main
          image: registry.example/${name}/w${w}:1.0
          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: ${name}-db, key: password}}}]
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: ${name}-config}}]`);
  }
  return `${docs.join("\n---\n")}\n`;
}

async function seed(clusters: TestClusters, work: string, apps: readonly App[]): Promise<void> {
  await Promise.all(
    (["dc1", "dc2"] as const).map(async (site) => {
      const file = join(work, `${site}.yaml`);
      await writeFile(file, manifest(apps, site === "dc1"));
      await clusters.kubectl(site, "apply", "--server-side", "-f", file);
    }),
  );
}

/**
 * `status` answer times, each a fresh reading; with where the time went: the slowest site's health
 * reading (the API servers share the machine with the round) and this process's event loop delay
 * (the round's parsing and judging run on the same loop as the answer).
 */
async function statusTimes(
  status: () => Promise<{ sites: { latencyMs: number }[] }>,
): Promise<{ times: number[]; sites: number[]; loopP99: number }> {
  const times: number[] = [];
  const sites: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  for (let i = 0; i < STATUS_SAMPLES; i++) {
    await new Promise((resolve) => setTimeout(resolve, STATUS_REUSE_MS + 50));
    const started = performance.now();
    const report = await status();
    times.push(performance.now() - started);
    sites.push(Math.max(...report.sites.map((s) => s.latencyMs)));
  }
  loop.disable();
  return { times, sites, loopP99: loop.percentile(99) / 1e6 };
}

export async function run(): Promise<BenchResult> {
  const work = await mkdtemp(join(tmpdir(), "drbot-readiness-bench-"));
  const clusters = await startTestClusters();
  try {
    const apps: App[] = TIERS.flatMap((tier) =>
      Array.from({ length: APPS_PER_TIER }, (_, i) => ({
        name: `${tier.name}-app-${i}`,
        tier: tier.name,
        namespace: clusters.ns(`${tier.name}-app-${i}`),
      })),
    );
    const seedStarted = performance.now();
    await seed(clusters, work, apps);
    const seedMs = performance.now() - seedStarted;
    const base = clusters.rawConfig() as { sites: Record<string, unknown>[] };
    const config = {
      ...base,
      tiers: TIERS,
      applications: apps.map((a) => ({
        name: a.name,
        tier: a.tier,
        namespaces: [a.namespace],
        workloads: Array.from({ length: WORKLOADS_PER_APP }, (_, w) => ({
          namespace: a.namespace,
          name: `w${w}`,
          replicas: 1,
        })),
      })),
      dataSources: [],
    };
    const configFile = join(work, "drbot.yaml");
    await writeFile(configFile, stringify(config));
    const rt = await createRuntime({
      configPath: configFile,
      store: new MemoryRunStore({ now: () => Date.now() }),
      env: parseEnvironment({}),
      autoStart: false,
    });
    try {
      const assess = rt.assessReadiness;
      if (!assess) throw new Error("this runtime has no readiness checks: nothing to measure");
      const deadlineMs = rt.config.watch.readiness.deadline;
      const round = () => assess({ signal: AbortSignal.timeout(deadlineMs) });
      // The first round opens the connections the leader already holds; it is not counted.
      await round();
      const rounds: number[] = [];
      let unknown = 0;
      let applications = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const started = performance.now();
        const report = await round();
        rounds.push(performance.now() - started);
        applications = report.applications.length;
        unknown = report.applications
          .flatMap((a) => a.findings)
          .filter((f) => f.verdict === "unknown").length;
      }

      await rt.service.status();
      const quiet = await statusTimes(() => rt.service.status());
      const idle = quiet.times;
      let busy = true;
      let during = 0;
      const background = (async () => {
        while (busy) {
          await round();
          during++;
        }
      })();
      const busyStatus = await statusTimes(() => rt.service.status());
      const loaded = busyStatus.times;
      busy = false;
      await background;

      const idleP99 = percentile(idle, 99);
      const loadedP99 = percentile(loaded, 99);
      const figures: Figure[] = [
        {
          name: `readiness round, ${applications} applications, ${applications * WORKLOADS_PER_APP} workloads × 2 sites: p50`,
          value: percentile(rounds, 50),
          unit: "ms",
        },
        {
          name: "readiness round: slowest",
          value: Math.max(...rounds),
          unit: "ms",
          target: { op: "<", value: 5_000 },
        },
        {
          name: "findings unknown in the last round (what the checks could not read)",
          value: unknown,
          unit: "findings",
          target: { op: "<=", value: 0 },
        },
        { name: "/dr status idle: p50", value: percentile(idle, 50), unit: "ms" },
        { name: "/dr status idle: p99", value: idleP99, unit: "ms" },
        { name: "/dr status during rounds: p50", value: percentile(loaded, 50), unit: "ms" },
        { name: "/dr status during rounds: p99", value: loadedP99, unit: "ms" },
        {
          name: "status: slowest site health reading, idle: p50",
          value: percentile(quiet.sites, 50),
          unit: "ms",
        },
        {
          name: "status: slowest site health reading, during rounds: p50",
          value: percentile(busyStatus.sites, 50),
          unit: "ms",
        },
        { name: "event loop delay, idle: p99", value: quiet.loopP99, unit: "ms" },
        { name: "event loop delay, during rounds: p99", value: busyStatus.loopP99, unit: "ms" },
        {
          name: "/dr status p99 during rounds / idle p99",
          value: loadedP99 / idleP99,
          unit: "x",
          target: { op: "<=", value: 1.2 },
        },
        {
          name: "/dr status p99 during rounds − idle p99",
          value: loadedP99 - idleP99,
          unit: "ms",
          target: { op: "<=", value: 50 },
        },
      ];
      return {
        name: "readiness",
        figures,
        notes: [
          `${ROUNDS} rounds after a first one; ${STATUS_SAMPLES} fresh status readings idle and ${STATUS_SAMPLES} while ${during} rounds ran back to back`,
          `seeded ${apps.length} namespaces per site (10 Deployments, a CronJob, a ConfigMap, a Secret, RBAC each) in ${Math.round(seedMs)} ms`,
          "status counts as unchanged while rounds run when its p99 is within 1.2x of idle or within +50 ms (either target met)",
          "KWOK runs no containers; both clusters and drbot share this machine's cores",
        ],
      };
    } finally {
      await rt.close();
    }
  } finally {
    await clusters.stop();
    await rm(work, { recursive: true, force: true });
  }
}
