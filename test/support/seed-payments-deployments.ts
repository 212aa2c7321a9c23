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
