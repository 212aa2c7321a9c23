import type { CronJobState } from "../workloads.js";

/**
 * What the readiness checks read of an application's namespaces on one site, as plain data. Secrets
 * appear by name only: the adapter lists their metadata and never receives a value. ConfigMaps
 * appear as a hash of their content (data and binaryData), so two sites compare without either
 * content being kept or shown.
 */

/** One container of a pod template (init containers too, named "init:NAME"). */
export interface ContainerSpec {
  name: string;
  image: string;
}

/** A ConfigMap or Secret a pod template refers to (volume, env, envFrom, projected, imagePullSecrets). */
export interface ObjectUse {
  name: string;
  /** The reference says `optional: true`: pods start without it. */
  optional: boolean;
}

/** One requirement of a required node affinity term (the API's NodeSelectorRequirement). */
export interface NodeRequirement {
  key: string;
  operator: string;
  values: string[];
}

/** A Deployment's, StatefulSet's or CronJob's pod template, as far as the checks need it. */
export interface WorkloadSpec {
  kind: "Deployment" | "StatefulSet" | "CronJob";
  namespace: string;
  name: string;
  /** Desired replicas (spec.replicas); absent for a CronJob. */
  replicas?: number;
  containers: ContainerSpec[];
  configMaps: ObjectUse[];
  secrets: ObjectUse[];
  serviceAccount: string;
  /** spec.nodeSelector: every pair must be a label of the node. */
  nodeSelector: Record<string, string>;
  /** requiredDuringSchedulingIgnoredDuringExecution terms: a node must match one term (all of its requirements). */
  nodeAffinity: NodeRequirement[][];
}

/** A RoleBinding reduced to what decides what it grants. */
export interface RoleBindingShape {
  name: string;
  /** "Role/NAME" or "ClusterRole/NAME". */
  roleRef: string;
  /** "ServiceAccount NAMESPACE/NAME", "User NAME", "Group NAME". */
  subjects: string[];
}

/** One namespace of one site. */
export interface NamespaceObjects {
  namespace: string;
  workloads: WorkloadSpec[];
  cronJobs: CronJobState[];
  /** ConfigMap name → sha256 of its data and binaryData (keys sorted). */
  configMaps: Record<string, string>;
  /** Names of the Secrets present. */
  secrets: string[];
  /**
   * Why the Secrets' names could not be listed (drbot may not list Secrets there: RBAC cannot grant
   * names without values, so that right is given per namespace, if at all). `secrets` is empty then.
   */
  secretsUnread?: string;
  serviceAccounts: string[];
  /** Role name → sha256 of its rules. */
  roles: Record<string, string>;
  roleBindings: RoleBindingShape[];
}

/** A CustomResourceDefinition: its name ("widgets.example.com") and the versions it serves. */
export interface CrdState {
  name: string;
  served: string[];
}

/** A reading, or why there is none (an unreadable site, a deadline). */
export type Read<T> = { value: T } | { error: string };

export const isRead = <T>(r: Read<T>): r is { value: T } => "value" in r;

export function workloadText(w: Pick<WorkloadSpec, "kind" | "namespace" | "name">): string {
  return `${w.kind} ${w.namespace}/${w.name}`;
}
