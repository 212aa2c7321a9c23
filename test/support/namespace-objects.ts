import type { NamespaceObjects, WorkloadSpec } from "../../src/domain/readiness/site-objects.js";

/** A Deployment's pod template as the inventory reads it, with what the test changes. */
export function workloadSpec(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    kind: "Deployment",
    namespace: "production",
    name: "payments-api",
    replicas: 3,
    containers: [{ name: "api", image: "registry.example/payments:2.0" }],
    configMaps: [{ name: "payments-config", optional: false }],
    secrets: [{ name: "payments-db", optional: false }],
    serviceAccount: "payments",
    nodeSelector: {},
    nodeAffinity: [],
    ...overrides,
  };
}

/** The production namespace of the payments application, whole and identical on both sites unless changed. */
export function namespaceObjects(overrides: Partial<NamespaceObjects> = {}): NamespaceObjects {
  return {
    namespace: "production",
    workloads: [workloadSpec()],
    cronJobs: [],
    configMaps: { "payments-config": "a".repeat(64) },
    secrets: ["payments-db", "unrelated"],
    serviceAccounts: ["default", "payments"],
    roles: { "payments-reader": "r".repeat(64) },
    roleBindings: [
      {
        name: "payments-reader",
        roleRef: "Role/payments-reader",
        subjects: ["ServiceAccount production/payments"],
      },
    ],
    ...overrides,
  };
}
