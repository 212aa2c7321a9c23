import type { ClusterName, TestClusters } from "./k8s-testenv.js";

/**
 * The payments-api Deployment the shipped runbooks scale, in the production and staging namespaces
 * of one cluster (both namespaces created here), at the given replica counts.
 */
export async function seedPaymentsDeployments(
  clusters: TestClusters,
  context: ClusterName,
  production: number,
  staging: number,
): Promise<void> {
  for (const [ns, replicas] of [
    ["production", production],
    ["staging", staging],
  ] as const) {
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
}

/** payments-api's replicas in `ns` on one cluster, as "wanted/ready" ("3/3"; "0/" when none is ready). */
export function readPaymentsReplicas(
  clusters: TestClusters,
  context: ClusterName,
  ns: string,
): Promise<string> {
  return clusters.kubectl(
    context,
    "get",
    "deployment",
    "payments-api",
    "-n",
    ns,
    "-o",
    "jsonpath={.spec.replicas}/{.status.readyReplicas}",
  );
}
