import type { WorkloadState } from "./workloads.js";

/** What `kubectl get all` shows on a site at one time, and what changed between two such readings. */

/** One object as `kubectl get all -A` lists it. */
export interface SnapshotObject {
  kind: "Pod" | "Service" | "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob";
  namespace: string;
  name: string;
  /** The column a person reads first: pod phase, READY x/y, service type and ports, and so on. */
  status: string;
}

export interface Snapshot {
  site: string;
  takenAt: number;
  /** Namespaces covered; empty means all namespaces. */
  namespaces: string[];
  workloads: WorkloadState[];
  /** Running pods per namespace. */
  pods: Record<string, number>;
  objects: SnapshotObject[];
}

export type ObjectKey = `${string} ${string}/${string}`;

/**
 * What changed between two snapshots. Pods and ReplicaSets are compared as counts, not by name:
 * their names carry random suffixes that change on every rollout.
 */
export interface SnapshotDiff {
  added: ObjectKey[];
  removed: ObjectKey[];
  changed: Array<{ object: ObjectKey; field: string; before: string; after: string }>;
  runningPods: Array<{ namespace: string; before: number; after: number }>;
}
