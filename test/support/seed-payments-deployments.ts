import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterName, TestClusters } from "./k8s-testenv.js";

/**
 * The payments-api Deployment the shipped runbooks scale, in this test file's production and
 * staging namespaces (`clusters.ns`, both created here) of one cluster, at the given replica counts.
 */
export async function seedPaymentsDeployments(
  clusters: TestClusters,
  context: ClusterName,
  production: number,
  staging: number,
): Promise<void> {
  for (const [name, replicas] of [
    ["production", production],
    ["staging", staging],
  ] as const) {
    const ns = clusters.ns(name);
    await clusters.kubectl(context, "create", "namespace", ns);
    await clusters.kubectl(
      context,
      "create",
      "deployment",
      "payments-api",
      "-n",
      ns,
      "--image=registry.example/payments:2.0",
      `--replicas=${replicas}`,
    );
  }
  // Ready before the test starts: on clusters shared by the test files, a controller may still be
  // reconnecting after the previous file restarted an API server.
  for (const name of ["production", "staging"] as const)
    await clusters.kubectl(
      context,
      "rollout",
      "status",
      "deployment/payments-api",
      "-n",
      clusters.ns(name),
      "--timeout=55s", // within kubectl()'s own 60 s
    );
}

/**
 * payments-api's replicas in this file's `production` or `staging` namespace on one cluster, as
 * "wanted/ready" ("3/3"; "0/" when none is ready).
 */
export function readPaymentsReplicas(
  clusters: TestClusters,
  context: ClusterName,
  namespace: "production" | "staging",
): Promise<string> {
  return clusters.kubectl(
    context,
    "get",
    "deployment",
    "payments-api",
    "-n",
    clusters.ns(namespace),
    "-o",
    "jsonpath={.spec.replicas}/{.status.readyReplicas}",
  );
}

/**
 * The rest of the payments application on one cluster, beside payments-api (this file's production
 * and staging namespaces, which must exist): a Service and a ConfigMap in each and a payments-worker Deployment in production,
 * all labelled app=payments, tier=tier1: what a backup of the namespaces holds and a restore must
 * bring back with their labels and replica counts.
 */
export async function seedPaymentsObjects(
  clusters: TestClusters,
  context: ClusterName,
  options: { workerReplicas?: number; configVersion?: string } = {},
): Promise<void> {
  const labels = "{app: payments, tier: tier1}";
  const [production, staging] = [clusters.ns("production"), clusters.ns("staging")];
  const manifest = [production, staging]
    .flatMap((ns) => [
      `apiVersion: v1\nkind: Service\nmetadata: {name: payments, namespace: ${ns}, labels: ${labels}}\nspec: {selector: {app: payments-api}, ports: [{port: 80, targetPort: 8080}]}`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: payments-config, namespace: ${ns}, labels: ${labels}}\ndata: {version: "${options.configVersion ?? "1"}", ledger: ledger.${ns}.internal}`,
    ])
    .concat(
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: payments-worker, namespace: ${production}, labels: ${labels}}\nspec:\n  replicas: ${options.workerReplicas ?? 2}\n  selector: {matchLabels: {app: payments-worker}}\n  template:\n    metadata: {labels: {app: payments-worker}}\n    spec: {containers: [{name: worker, image: registry.example/payments-worker:2.0}]}`,
    )
    .join("\n---\n");
  const file = join(clusters.dir, `payments-objects-${context}-${Date.now()}.yaml`);
  await writeFile(file, manifest);
  await clusters.kubectl(context, "apply", "-f", file);
}
