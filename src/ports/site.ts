/**
 * A Kubernetes site (a cluster in one datacenter) as the engine and the use cases see it: plain data,
 * no client library. The adapter is src/adapters/kubernetes.
 *
 * Contract for every method:
 * - Each API request has a deadline (the site's request timeout). A hung API server turns into an
 *   error with reason `timeout` in bounded time; an optional caller signal cuts it shorter.
 * - Failures are DrError (src/domain/errors.ts) whose `details` carry `reason` (a SiteErrorReason),
 *   `site` and `operation`, and whose message says what was being done on which site. Messages
 *   never contain tokens, keys or certificates.
 * - `health()` and `fence()` report an unreachable site in their result instead of throwing.
 */
export type WorkloadKind = "Deployment" | "StatefulSet";

/**
 * Why a site request failed. The DrError code follows from it: timeout → `timeout`, unreachable and
 * unknown → `unavailable`, invalid → `invalid_input` (`invalid_config` for a bad kubeconfig), the
 * others keep their name.
 */
export type SiteErrorReason =
  | "timeout"
  | "unreachable"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "invalid"
  | "unknown";

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface WorkloadState extends WorkloadRef {
  /** Desired replicas (spec). */
  replicas: number;
  /** Pods the controller currently has, old and new (status.replicas). */
  statusReplicas?: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  generation: number;
  observedGeneration: number;
  images: string[];
}

export interface NodeState {
  name: string;
  ready: boolean;
  labels: Record<string, string>;
  cpuMillis: number;
  memoryBytes: number;
}

export interface SiteHealth {
  site: string;
  /** The API server answered. */
  reachable: boolean;
  /** /readyz passed and at least one node is Ready. */
  ready: boolean;
  apiReady?: boolean;
  version?: string;
  nodes: NodeState[];
  readyNodes: number;
  latencyMs: number;
  error?: { code: string; reason?: SiteErrorReason; message: string };
}

export interface SiteCapacity {
  site: string;
  nodes: number;
  readyNodes: number;
  /** Allocatable CPU and memory of Ready nodes. */
  cpuMillis: number;
  memoryBytes: number;
}

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

/** How one site's workloads differ from a reference site's (for example DC2 against DC1). */
export interface Drift {
  reference: string;
  candidate: string;
  /** In the reference, absent from the candidate. */
  missing: WorkloadRef[];
  /** In the candidate only. */
  extra: WorkloadRef[];
  images: Array<{ workload: WorkloadRef; reference: string[]; candidate: string[] }>;
  replicas: Array<{ workload: WorkloadRef; reference: number; candidate: number }>;
}

export interface FenceResult {
  site: string;
  /** False when the site did not answer: nothing could be fenced there. */
  reachable: boolean;
  fenced: WorkloadRef[];
  notFound: WorkloadRef[];
  failed: Array<{ workload: WorkloadRef; reason: SiteErrorReason; message: string }>;
}

export interface RequestOptions {
  /** Cuts every request short (for example when the run is aborted); the deadline still applies. */
  signal?: AbortSignal;
}

export interface RolloutOptions extends RequestOptions {
  /** Desired replicas to wait for; defaults to the workload's spec. */
  replicas?: number;
  /** Epoch milliseconds. */
  deadline: number;
  onProgress?: (state: WorkloadState) => void;
}

export interface NamespaceDeleteOptions extends RequestOptions {
  /** Epoch milliseconds. */
  deadline: number;
}

export interface SitePort {
  readonly name: string;
  /** Never throws: an unreachable or hung site is reported as not reachable, within the deadline. */
  health(options?: RequestOptions): Promise<SiteHealth>;
  capacity(options?: RequestOptions): Promise<SiteCapacity>;
  listWorkloads(kind: WorkloadKind, namespace: string, options?: RequestOptions): Promise<WorkloadState[]>;
  /** Deployments and StatefulSets of the namespaces. */
  inventory(namespaces: readonly string[], options?: RequestOptions): Promise<WorkloadState[]>;
  readScale(ref: WorkloadRef, options?: RequestOptions): Promise<number>;
  /** Sets spec.replicas through the scale subresource. Idempotent. */
  scale(ref: WorkloadRef, replicas: number, options?: RequestOptions): Promise<void>;
  /**
   * Polls until ready (and updated) replicas equal the desired count on the current generation.
   * Throws DrError `timeout` at the deadline, with the last state in details.
   */
  waitForRollout(ref: WorkloadRef, options: RolloutOptions): Promise<WorkloadState>;
  /** What `kubectl get all` shows for the namespaces (all namespaces when empty). */
  snapshot(namespaces?: readonly string[], options?: RequestOptions): Promise<Snapshot>;
  /** How `other`'s workloads differ from this site's, in the namespaces. */
  drift(other: SitePort, namespaces: readonly string[], options?: RequestOptions): Promise<Drift>;
  /** Scales the workloads to 0 where the site answers; reports, does not throw, when it does not. */
  fence(workloads: readonly WorkloadRef[], options?: RequestOptions): Promise<FenceResult>;
  /** Deny-all NetworkPolicies labelled with the run id; returns "namespace/name". Idempotent. */
  isolate(runId: string, namespaces: readonly string[], options?: RequestOptions): Promise<string[]>;
  /** Deletes the run's isolation policies; returns how many there were. Idempotent. */
  removeIsolation(runId: string, options?: RequestOptions): Promise<number>;
  /** Everything drbot created for a run (objects labelled drbot.io/run-id), as "Kind namespace/name". */
  listByRunId(runId: string, options?: RequestOptions): Promise<string[]>;
  /**
   * Deletes a namespace and waits until it is gone; false when it did not exist. Idempotent. Throws
   * DrError `timeout` when it is still terminating at the deadline.
   */
  deleteNamespace(name: string, options: NamespaceDeleteOptions): Promise<boolean>;
}

export const RUN_ID_LABEL = "drbot.io/run-id";
