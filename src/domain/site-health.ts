/**
 * How a site (a Kubernetes cluster in one datacenter) answers when asked about its health and
 * capacity: plain data, read by the status report, the watcher and the health and capacity steps.
 * The port that produces it is src/ports/site.ts.
 */

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
