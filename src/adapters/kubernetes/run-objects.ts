import type * as k8s from "@kubernetes/client-node";
import {
  describeRules,
  type MatchLabels,
  type NetworkPolicyShape,
  type PolicyPeer,
  type PolicyRule,
  runPolicyName,
} from "../../domain/network-policy.js";
import { RUN_ID_LABEL } from "../../ports/site.js";
import { KubeError } from "./kube-error.js";

/**
 * What drbot creates on a site for a run, every object labelled with the run id so that
 * `listByRunId` finds it and `k8s.verify-clean` can prove it gone: NetworkPolicies (drill isolation,
 * restore test sandboxes) and namespaces (sandboxes).
 */
export interface RunObjectApis {
  site: string;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
  net: k8s.NetworkingV1Api;
  request<T>(what: string, send: (options: k8s.ConfigurationOptions) => Promise<T>): Promise<T>;
}

const MANAGED_BY = { "app.kubernetes.io/managed-by": "drbot" };
export const PURPOSE_ANNOTATION = "drbot.io/purpose";
export const RULES_ANNOTATION = "drbot.io/rules";

/** Creates each policy, or replaces the rules of one that exists (so a re-run applies today's rules). */
export async function applyRunPolicies(
  apis: RunObjectApis,
  runId: string,
  policies: readonly { namespace: string; policy: NetworkPolicyShape }[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const { namespace, policy } of policies) {
    const body = networkPolicyObject(runLabelValue(apis.site, runId), namespace, policy);
    const name = body.metadata!.name!;
    try {
      await apis.request(`create NetworkPolicy ${namespace}/${name}`, (o) =>
        apis.net.createNamespacedNetworkPolicy({ namespace, body }, o),
      );
    } catch (error) {
      if (!(error instanceof KubeError && error.reason === "conflict")) throw error;
      const existing = await apis.request(`read NetworkPolicy ${namespace}/${name}`, (o) =>
        apis.net.readNamespacedNetworkPolicy({ name, namespace }, o),
      );
      const replaced = {
        ...body,
        metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
      };
      await apis.request(`replace NetworkPolicy ${namespace}/${name}`, (o) =>
        apis.net.replaceNamespacedNetworkPolicy({ name, namespace, body: replaced }, o),
      );
    }
    applied.push(`${namespace}/${name}`);
  }
  return applied;
}

export async function removeRunPolicies(apis: RunObjectApis, runId: string): Promise<number> {
  const labelSelector = `${RUN_ID_LABEL}=${runLabelValue(apis.site, runId)}`;
  const policies = await apis.request("list the run's NetworkPolicies", (o) =>
    apis.net.listNetworkPolicyForAllNamespaces({ labelSelector }, o),
  );
  for (const p of policies.items) {
    const params = { name: p.metadata?.name ?? "", namespace: p.metadata?.namespace ?? "" };
    try {
      await apis.request(`delete NetworkPolicy ${params.namespace}/${params.name}`, (o) =>
        apis.net.deleteNamespacedNetworkPolicy(params, o),
      );
    } catch (error) {
      if (!(error instanceof KubeError && error.reason === "not_found")) throw error;
    }
  }
  return policies.items.length;
}

export async function createRunNamespace(apis: RunObjectApis, runId: string, name: string): Promise<void> {
  const label = runLabelValue(apis.site, runId);
  const body: k8s.V1Namespace = { metadata: { name, labels: { [RUN_ID_LABEL]: label, ...MANAGED_BY } } };
  try {
    await apis.request(`create namespace ${name}`, (o) => apis.core.createNamespace({ body }, o));
    return;
  } catch (error) {
    if (!(error instanceof KubeError && error.reason === "conflict")) throw error;
  }
  const existing = await apis.request(`read namespace ${name}`, (o) => apis.core.readNamespace({ name }, o));
  const owner = existing.metadata?.labels?.[RUN_ID_LABEL];
  if (owner !== label || existing.status?.phase === "Terminating")
    throw new KubeError(
      "conflict",
      { site: apis.site, operation: `create namespace ${name}` },
      existing.status?.phase === "Terminating"
        ? "it exists and is still being deleted; run the test again once it is gone"
        : `it exists and is not this run's (${owner ? `it belongs to run ${owner}` : "not created by drbot"}); delete it first if it is a leftover`,
    );
}

/** Kinds drbot may create for a run, all carrying RUN_ID_LABEL; listByRunId looks at each. */
const RUN_OBJECT_KINDS = [
  "Namespace",
  "NetworkPolicy",
  "ConfigMap",
  "Service",
  "Deployment",
  "StatefulSet",
  "Job",
] as const;

export async function listByRunId(apis: RunObjectApis, runId: string): Promise<string[]> {
  const q = { labelSelector: `${RUN_ID_LABEL}=${runLabelValue(apis.site, runId)}` };
  type Listed = { items: Array<{ metadata?: k8s.V1ObjectMeta }> };
  const lists = await Promise.all(
    RUN_OBJECT_KINDS.map(async (kind) => {
      const { items } = await apis.request(`list ${kind} objects of run ${runId}`, (o): Promise<Listed> => {
        switch (kind) {
          case "Namespace":
            return apis.core.listNamespace(q, o);
          case "NetworkPolicy":
            return apis.net.listNetworkPolicyForAllNamespaces(q, o);
          case "ConfigMap":
            return apis.core.listConfigMapForAllNamespaces(q, o);
          case "Service":
            return apis.core.listServiceForAllNamespaces(q, o);
          case "Deployment":
            return apis.apps.listDeploymentForAllNamespaces(q, o);
          case "StatefulSet":
            return apis.apps.listStatefulSetForAllNamespaces(q, o);
          case "Job":
            return apis.batch.listJobForAllNamespaces(q, o);
        }
      });
      return items.map((i) =>
        kind === "Namespace"
          ? `Namespace ${i.metadata?.name}`
          : `${kind} ${i.metadata?.namespace}/${i.metadata?.name}`,
      );
    }),
  );
  return lists.flat().sort();
}

export function networkPolicyObject(
  runId: string,
  namespace: string,
  policy: NetworkPolicyShape,
): k8s.V1NetworkPolicy {
  const name = runPolicyName(policy.role, runId);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name,
      namespace,
      labels: { [RUN_ID_LABEL]: runId, ...MANAGED_BY },
      annotations: { [PURPOSE_ANNOTATION]: policy.purpose, [RULES_ANNOTATION]: describeRules(policy) },
    },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: policy.ingress.map((r) => ({ _from: r.peers.map(peerObject), ...portsOf(r) })),
      egress: policy.egress.map((r) => ({ to: r.peers.map(peerObject), ...portsOf(r) })),
    },
  };
}

function portsOf(rule: PolicyRule): { ports?: k8s.V1NetworkPolicyPort[] } {
  return rule.ports.length > 0
    ? { ports: rule.ports.map((p) => ({ protocol: p.protocol, port: p.port })) }
    : {};
}

function selector(labels: MatchLabels): k8s.V1LabelSelector {
  return Object.keys(labels).length > 0 ? { matchLabels: { ...labels } } : {};
}

function peerObject(peer: PolicyPeer): k8s.V1NetworkPolicyPeer {
  if ("ipBlock" in peer)
    return {
      ipBlock: {
        cidr: peer.ipBlock.cidr,
        ...(peer.ipBlock.except ? { except: [...peer.ipBlock.except] } : {}),
      },
    };
  if ("namespaceSelector" in peer)
    return {
      namespaceSelector: selector(peer.namespaceSelector),
      ...(peer.podSelector ? { podSelector: selector(peer.podSelector) } : {}),
    };
  return { podSelector: selector(peer.podSelector) };
}

/** Run ids become label values and object names; refuse what Kubernetes would reject, up front. */
export function runLabelValue(site: string, runId: string): string {
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(runId))
    throw new KubeError(
      "invalid",
      { site, operation: `label objects of run ${runId}` },
      "a run id must be a valid label value (at most 63 letters, digits, '-', '_' or '.')",
    );
  return runId;
}
