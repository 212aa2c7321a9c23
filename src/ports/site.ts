/**
 * A Kubernetes site as the engine and the status use case see it: plain data, no client library.
 * Every method has a deadline; failures are DrError with code `timeout` (the API did not answer in
 * time), `unavailable` (refused or unreachable), `forbidden`, `not_found`, `invalid_config` (no such
 * kubeconfig or context) or `conflict`, and a message naming the site and what was being done.
 */
export type WorkloadKind = "Deployment" | "StatefulSet";

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface WorkloadState extends WorkloadRef {
  replicas: number;
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
  reachable: boolean;
  ready: boolean;
  version?: string;
  nodes: NodeState[];
  readyNodes: number;
  latencyMs: number;
  error?: { code: string; message: string };
}

export interface SiteCapacity {
  site: string;
  nodes: number;
  readyNodes: number;
  cpuMillis: number;
  memoryBytes: number;
}

export interface Snapshot {
  site: string;
  takenAt: number;
  workloads: WorkloadState[];
  pods: Record<string, number>;
}

export interface SitePort {
  readonly name: string;
  /** Never throws: an unreachable or hung site is reported as not reachable, within the deadline. */
  health(): Promise<SiteHealth>;
  capacity(): Promise<SiteCapacity>;
  listWorkloads(kind: WorkloadKind, namespace: string): Promise<WorkloadState[]>;
  inventory(namespaces: readonly string[]): Promise<WorkloadState[]>;
  readScale(ref: WorkloadRef): Promise<number>;
  scale(ref: WorkloadRef, replicas: number): Promise<void>;
  /** Polls until ready replicas equal the desired count on the current generation, or the deadline. */
  waitForRollout(
    ref: WorkloadRef,
    options: {
      replicas?: number;
      deadline: number;
      signal?: AbortSignal;
      onProgress?: (state: WorkloadState) => void;
    },
  ): Promise<WorkloadState>;
  snapshot(namespaces: readonly string[]): Promise<Snapshot>;
  isolate(runId: string, namespaces: readonly string[]): Promise<string[]>;
  removeIsolation(runId: string): Promise<number>;
  /** Everything drbot created for a run (objects labelled drbot.io/run-id). */
  listByRunId(runId: string): Promise<string[]>;
}

export const RUN_ID_LABEL = "drbot.io/run-id";
