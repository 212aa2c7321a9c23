import type { NetworkPolicyShape } from "../domain/network-policy.js";
import type { SiteCapacity, SiteHealth } from "../domain/site-health.js";
import type { Snapshot } from "../domain/snapshot.js";
import type {
  CronJobRef,
  CronJobState,
  Drift,
  FenceResult,
  WorkloadKind,
  WorkloadRef,
  WorkloadState,
} from "../domain/workloads.js";

/**
 * A Kubernetes site (a cluster in one datacenter) as the engine and the use cases see it, no client
 * library. What it answers with is plain domain data (src/domain/site-health.ts, workloads.ts,
 * snapshot.ts). The adapter is src/adapters/kubernetes.
 *
 * Contract for every method:
 * - Each API request has a deadline (the site's request timeout). A hung API server turns into an
 *   error with reason `timeout` in bounded time; an optional caller signal cuts it shorter.
 * - Failures are DrError (src/domain/errors.ts) whose `details` carry `reason` (a SiteErrorReason),
 *   `site` and `operation`, and whose message says what was being done on which site. Messages
 *   never contain tokens, keys or certificates.
 * - `health()` and `fence()` report an unreachable site in their result instead of throwing.
 */
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
  /** The CronJobs of a namespace. */
  listCronJobs(namespace: string, options?: RequestOptions): Promise<CronJobState[]>;
  readCronJob(ref: CronJobRef, options?: RequestOptions): Promise<CronJobState>;
  /**
   * Sets spec.suspend: true stops new Jobs (running ones finish), false lets the schedule run.
   * Idempotent. Suspending with `runId` marks the CronJob as suspended by that run
   * (CronJobState.suspendedByRun, the annotation SUSPENDED_BY_RUN_ANNOTATION) in the same write, so
   * the run's undo resumes only what it suspended; resuming, or suspending without it, clears the mark.
   */
  suspendCronJob(
    ref: CronJobRef,
    suspend: boolean,
    options?: RequestOptions & { runId?: string },
  ): Promise<void>;
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
  /**
   * Puts the run's NetworkPolicy (drbot-ROLE-RUNID, labelled with the run id) in each namespace:
   * created, or replaced by these rules when it exists. Returns "namespace/name". Idempotent.
   */
  applyRunPolicies(
    runId: string,
    policies: readonly { namespace: string; policy: NetworkPolicyShape }[],
    options?: RequestOptions,
  ): Promise<string[]>;
  /** Deletes the run's NetworkPolicies; returns how many there were. Idempotent. */
  removeIsolation(runId: string, options?: RequestOptions): Promise<number>;
  /**
   * Creates a namespace labelled with the run id (a restore test's sandbox). Idempotent for the same
   * run; throws DrError `conflict` when the namespace exists and is not that run's, so nobody's
   * namespace, or an earlier run's leftover, is ever taken over.
   */
  createRunNamespace(runId: string, name: string, options?: RequestOptions): Promise<void>;
  /**
   * Everything drbot created for a run (objects labelled drbot.io/run-id), as "Kind namespace/name"
   * ("Namespace name" for a namespace).
   */
  listByRunId(runId: string, options?: RequestOptions): Promise<string[]>;
  /**
   * Deletes a namespace and waits until it is gone; false when it did not exist. Idempotent. Throws
   * DrError `timeout` when it is still terminating at the deadline.
   */
  deleteNamespace(name: string, options: NamespaceDeleteOptions): Promise<boolean>;
}

/** Sites by name, as the process configured them (the Kubernetes step kinds and use cases ask here). */
export interface KubernetesServices {
  /** Throws DrError `invalid_input` for a site the configuration does not name. */
  site(name: string): SitePort;
}

export const RUN_ID_LABEL = "drbot.io/run-id";
/** On a CronJob a run suspended: the run's id (see SitePort.suspendCronJob). */
export const SUSPENDED_BY_RUN_ANNOTATION = "drbot.io/suspended-by-run";
