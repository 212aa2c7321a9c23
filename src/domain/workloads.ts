import type { SiteErrorReason } from "./site-health.js";

/** Deployments and StatefulSets on a site as plain data, and how two sites' workloads differ. */
export type WorkloadKind = "Deployment" | "StatefulSet";

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

/**
 * A CronJob: batch work is a workload too. It runs on the site that serves and is suspended on the
 * standby (spec.suspend), so the same job never runs in both sites against the same data.
 */
export interface CronJobRef {
  namespace: string;
  name: string;
}

export interface CronJobState extends CronJobRef {
  suspended: boolean;
  schedule: string;
  /** When it last started a Job (status.lastScheduleTime), epoch ms. */
  lastScheduleAt?: number;
  /** Jobs it has running now. */
  active: number;
  /** The run that suspended it, when drbot did (it resumes only what it suspended). */
  suspendedByRun?: string;
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
