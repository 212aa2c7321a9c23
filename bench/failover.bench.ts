import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import { KubernetesSite } from "../src/adapters/kubernetes/kubernetes-site.js";
import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { configSchema } from "../src/domain/config.js";
import { buildPlan } from "../src/domain/plan.js";
import { initialStepRecords, type RunRecord } from "../src/domain/run.js";
import { runbookSchema } from "../src/domain/runbook.js";
import { resolveScope } from "../src/domain/scope.js";
import { RunEngine } from "../src/engine/run-engine.js";
import { createStepKindRegistry } from "../src/engine/step-kinds/registry.js";
import { startTestClusters } from "../test/support/k8s-testenv.js";
import type { BenchResult } from "./bench-kit.js";

/**
 * Activation of 200 deployments in 20 namespaces of DC2, by drbot and by the seed's way
 * (`kubectl scale deployment --all` per namespace, then `kubectl rollout status` for each), on the
 * same local clusters in the same run. Between the two, every deployment goes back to 0 and settles.
 */
const NAMESPACES = 20;
const PER_NAMESPACE = 10;
const REPLICAS = 1;

export async function run(): Promise<BenchResult> {
  const clusters = await startTestClusters();
  try {
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${String(i).padStart(2, "0")}`);
    const manifest = namespaces
      .flatMap((ns) => [
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
        ...Array.from(
          { length: PER_NAMESPACE },
          (_, j) =>
            `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-${j}, namespace: ${ns}}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: app-${j}}}\n  template:\n    metadata: {labels: {app: app-${j}}}\n    spec: {containers: [{name: c, image: registry.example/app:1}]}`,
        ),
      ])
      .join("\n---\n");
    const file = join(clusters.dir, "bench-workloads.yaml");
    await writeFile(file, manifest);
    await clusters.kubectl("dc2", "apply", "-f", file);
    const kubectl = (await execa("bash", ["scripts/k8s-build", "bin-dir"])).stdout.trim().split("\n").pop()!;
    const k = (...args: string[]) =>
      execa(join(kubectl, "kubectl"), ["--kubeconfig", clusters.kubeconfig, "--context", "dc2", ...args]);
    const settleAtZero = async () => {
      await Promise.all(namespaces.map((ns) => k("scale", "deployment", "--all", "--replicas=0", "-n", ns)));
      for (const ns of namespaces)
        await k("wait", "--for=delete", "pod", "--all", "-n", ns, "--timeout=120s").catch(() => undefined);
    };

    // Baseline: what scripts/07-execute-failover.sh does, namespace by namespace, then rollout status.
    await settleAtZero();
    const baselineStart = performance.now();
    for (const ns of namespaces) await k("scale", "deployment", "--all", `--replicas=${REPLICAS}`, "-n", ns);
    for (const ns of namespaces)
      for (let j = 0; j < PER_NAMESPACE; j++)
        await k("rollout", "status", `deployment/app-${j}`, "-n", ns, "--timeout=300s");
    const baselineMs = performance.now() - baselineStart;

    // drbot: the same activation as a runbook, steps in parallel.
    await settleAtZero();
    const config = configSchema.parse({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { path: clusters.kubeconfig, context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { path: clusters.kubeconfig, context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [
        {
          name: "bench",
          tier: "tier1",
          namespaces,
          workloads: namespaces.map((ns) => ({ namespace: ns, name: "*", replicas: REPLICAS })),
        },
      ],
    });
    const runbook = runbookSchema.parse({
      name: "bench",
      title: "Activate DR",
      kind: "failover",
      phases: [
        {
          name: "activate",
          steps: [
            {
              id: "scale-up",
              title: "Scale up",
              kind: "k8s.scale",
              forEach: "workload",
              concurrency: 20,
              with: {
                site: "dc2",
                namespace: "{{workload.namespace}}",
                name: "*",
                replicas: REPLICAS,
                concurrency: 10,
              },
            },
            {
              id: "wait-ready",
              title: "Wait",
              kind: "k8s.wait-ready",
              forEach: "workload",
              concurrency: 20,
              with: {
                site: "dc2",
                namespace: "{{workload.namespace}}",
                name: "*",
                replicas: REPLICAS,
                concurrency: 10,
              },
              timeout: "5m",
            },
          ],
        },
      ],
    });
    let apiCalls = 0;
    const site = new KubernetesSite(config.sites[1]!);
    const counted = new Proxy(site, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function" || prop === "constructor") return value;
        return (...args: unknown[]) => {
          if (prop !== "waitForRollout") apiCalls++;
          return value.apply(target, args);
        };
      },
    });
    const registry = createStepKindRegistry();
    const store = new MemoryRunStore({ now: () => Date.now() });
    const scope = resolveScope(config, ["bench"], "failover");
    const plan = buildPlan({ runbook, config, scope, mode: "real", catalog: registry });
    const now = Date.now();
    const record: RunRecord = {
      id: "bench-failover",
      kind: "failover",
      mode: "real",
      runbook: "bench",
      scopeKey: "bench",
      scope,
      plan,
      state: "approved",
      requestedBy: "U0BENCH",
      reason: "bench",
      source: "cli",
      requiredApprovals: 0,
      approvals: [],
      decisions: [],
      expiresAt: now + 3_600_000,
      createdAt: now,
      updatedAt: now,
      rto: { requestedAt: now },
      tierRtoMs: 7_200_000,
      tierRpoMs: 900_000,
      version: 1,
      annotations: {},
    };
    await store.createRun(record, initialStepRecords(plan), {
      type: "run.requested",
      at: now,
      actor: "bench",
      runId: record.id,
      data: {},
    });
    const reads = { count: 0 };
    const originalRead = site.read.bind(site);
    site.read = async (ref) => {
      reads.count++;
      return originalRead(ref);
    };
    const engine = new RunEngine({
      store,
      registry,
      config,
      clock: { now: () => Date.now() },
      ownerId: "bench",
      leaseTtlMs: 15_000,
      maxParallelSteps: 40,
      scopeTtlMs: 60_000,
      observer: { onRunEvent: () => {} },
      services: {
        commands: { run: async () => Promise.reject(new Error("none")) },
        secrets: [],
        sites: { site: () => counted },
      },
    });
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const drbotStart = performance.now();
    const outcome = await engine.drive(record.id);
    const drbotMs = performance.now() - drbotStart;
    clearInterval(sampler);
    if (!outcome.driven || outcome.state !== "completed")
      throw new Error(`drbot's activation ended ${JSON.stringify(outcome)}`);
    const ready = await k(
      "get",
      "deployments",
      "-A",
      "-o",
      'jsonpath={range .items[*]}{.status.readyReplicas}{"\\n"}{end}',
    );
    const readyCount = ready.stdout.split("\n").filter((l) => l.trim() === String(REPLICAS)).length;
    return {
      name: "failover",
      figures: [
        {
          name: "deployments activated",
          value: readyCount,
          unit: "deployments",
          target: { op: ">=", value: NAMESPACES * PER_NAMESPACE },
        },
        { name: "baseline (kubectl scale --all + rollout status)", value: baselineMs, unit: "ms" },
        { name: "drbot", value: drbotMs, unit: "ms" },
        {
          name: "drbot / baseline",
          value: drbotMs / baselineMs,
          unit: "ratio",
          target: { op: "<=", value: 0.5 },
        },
        { name: "drbot API calls (plus rollout polls)", value: apiCalls + reads.count, unit: "calls" },
        { name: "drbot peak RSS", value: peakRss / 2 ** 20, unit: "MB", target: { op: "<", value: 200 } },
      ],
      notes: [
        `${NAMESPACES} namespaces × ${PER_NAMESPACE} deployments × ${REPLICAS} replica on KWOK; RSS is the benchmark process (drbot's engine, client and store in one process)`,
      ],
    };
  } finally {
    await clusters.stop();
  }
}
