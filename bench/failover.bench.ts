import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";
import { execa } from "execa";
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
    // drbot runs in its own process, as in production: compiled to plain JavaScript (no TypeScript
    // loader in memory), with its libraries loaded from node_modules as the image does.
    // Inside the checkout (bench/results is not committed) so that its imports resolve to node_modules.
    const script = join(process.cwd(), "bench", "results", "failover-activation.mjs");
    await build({
      entryPoints: ["bench/failover-activation.ts"],
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
    const child = await execa(process.execPath, [script, clusters.kubeconfig, JSON.stringify(namespaces)], {
      timeout: 600_000,
      env: { NODE_PATH: join(process.cwd(), "node_modules"), NODE_OPTIONS: nodeOptions },
    });
    const activation = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
      ms: number;
      apiCalls: number;
      peakRssMb: number;
      heapUsedMb: number;
      rssBeforeRunMb: number;
    };
    const drbotMs = activation.ms;
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
        { name: "drbot API calls (plus rollout polls)", value: activation.apiCalls, unit: "calls" },
        { name: "drbot peak RSS", value: activation.peakRssMb, unit: "MB", target: { op: "<", value: 200 } },
        { name: "drbot RSS loaded, before the run", value: activation.rssBeforeRunMb, unit: "MB" },
        { name: "drbot heap used after the run", value: activation.heapUsedMb, unit: "MB" },
      ],
      notes: [
        `${NAMESPACES} namespaces × ${PER_NAMESPACE} deployments × ${REPLICAS} replica on KWOK; drbot's figures come from its own process (engine, Kubernetes client, store, compiled to JavaScript as in the image; peak RSS over the process's life)`,
        `node options as in the image: ${nodeOptions || "(none)"}`,
      ],
    };
  } finally {
    await clusters.stop();
  }
}

/** The NODE_OPTIONS the container image runs drbot with (its Dockerfile's ENV), so the figures are the image's. */
export async function imageNodeOptions(): Promise<string> {
  const dockerfile = await readFile("Dockerfile", "utf8");
  return /\bNODE_OPTIONS=(\S+)/.exec(dockerfile)?.[1] ?? "";
}
