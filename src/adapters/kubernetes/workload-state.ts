import type * as k8s from "@kubernetes/client-node";
import type { NodeState } from "../../domain/site-health.js";
import type { WorkloadKind, WorkloadState } from "../../domain/workloads.js";
import { parseCpuMillis, parseMemoryBytes } from "./quantities.js";

/** Plain data from client-node objects: the only place that knows their field names. */
export function workloadState(kind: WorkloadKind, w: k8s.V1Deployment | k8s.V1StatefulSet): WorkloadState {
  const status = w.status as (k8s.V1DeploymentStatus & k8s.V1StatefulSetStatus) | undefined;
  return {
    kind,
    namespace: w.metadata?.namespace ?? "",
    name: w.metadata?.name ?? "",
    replicas: w.spec?.replicas ?? 0,
    statusReplicas: status?.replicas ?? 0,
    readyReplicas: status?.readyReplicas ?? 0,
    updatedReplicas: status?.updatedReplicas ?? 0,
    availableReplicas: status?.availableReplicas ?? 0,
    generation: w.metadata?.generation ?? 0,
    observedGeneration: status?.observedGeneration ?? 0,
    images: w.spec?.template?.spec?.containers?.map((c) => c.image ?? "") ?? [],
  };
}

export function nodeState(n: k8s.V1Node): NodeState {
  return {
    name: n.metadata?.name ?? "",
    ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    labels: n.metadata?.labels ?? {},
    cpuMillis: parseCpuMillis(n.status?.allocatable?.cpu),
    memoryBytes: parseMemoryBytes(n.status?.allocatable?.memory),
  };
}
