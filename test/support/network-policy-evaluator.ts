import { cidrContains, hostCidr, parseCidr } from "../../src/domain/cidr.js";

/**
 * Decides whether NetworkPolicies, as the API server stores them (networking.k8s.io/v1 JSON), allow a
 * connection: the rules of https://kubernetes.io/docs/concepts/services-networking/network-policies/
 * written out, because the test clusters (KWOK, no network plugin) store policies and enforce none.
 * It reads the objects the API server accepted, not drbot's own description of them.
 *
 * Modelled: pod selection, policyTypes, ingress/egress rules, ipBlock with except, namespaceSelector
 * and podSelector (alone and together), matchLabels and matchExpressions, ports with protocol and
 * endPort. Not modelled: named ports, and what a network plugin does with ipBlocks that contain pod
 * IPs (the Kubernetes documentation leaves that to the plugin): an in-cluster pod here is matched
 * by selectors only, an outside address by ipBlocks only.
 */
export interface PolicyObject {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: Array<{ from?: Peer[]; ports?: Port[] }>;
    egress?: Array<{ to?: Peer[]; ports?: Port[] }>;
  };
}
interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Selector;
  podSelector?: Selector;
}
interface Port {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

/** A pod of the cluster, or an address outside it. */
export type Endpoint =
  | { pod: { namespace: string; labels?: Record<string, string>; namespaceLabels?: Record<string, string> } }
  | { address: string };

export interface Connection {
  /** The pod the policies may select: the receiving end of ingress, the sending end of egress. */
  pod: { namespace: string; labels?: Record<string, string> };
  direction: "ingress" | "egress";
  /** The other end. */
  peer: Endpoint;
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export function allows(policies: readonly PolicyObject[], c: Connection): boolean {
  const type = c.direction === "ingress" ? "Ingress" : "Egress";
  const selecting = policies.filter(
    (p) =>
      p.metadata.namespace === c.pod.namespace &&
      matches(p.spec.podSelector, c.pod.labels ?? {}) &&
      typesOf(p).includes(type),
  );
  // A pod no policy of this direction selects is not isolated in it.
  if (selecting.length === 0) return true;
  return selecting.some((p) => {
    const rules: Array<{ peers?: Peer[]; ports?: Port[] }> =
      c.direction === "ingress"
        ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
        : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
    return rules.some((r) => portMatches(r.ports, c) && peerMatches(r.peers, p.metadata.namespace, c.peer));
  });
}

function typesOf(p: PolicyObject): string[] {
  if (p.spec.policyTypes && p.spec.policyTypes.length > 0) return p.spec.policyTypes;
  // Defaulted by the API server; kept for objects written without it.
  return p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"];
}

function portMatches(ports: Port[] | undefined, c: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== (c.protocol ?? "TCP")) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") throw new Error(`named port ${p.port} is not modelled`);
    return p.endPort === undefined ? p.port === c.port : c.port >= p.port && c.port <= p.endPort;
  });
}

function peerMatches(peers: Peer[] | undefined, policyNamespace: string, peer: Endpoint): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((p) => {
    if (p.ipBlock) {
      if (!("address" in peer)) return false;
      const ip = hostCidr(peer.address);
      const block = parseCidr(p.ipBlock.cidr);
      if (!ip || typeof block === "string" || !cidrContains(block, ip)) return false;
      return !(p.ipBlock.except ?? []).some((e) => {
        const except = parseCidr(e);
        return typeof except !== "string" && cidrContains(except, ip);
      });
    }
    if (!("pod" in peer)) return false;
    const namespaceLabels = {
      "kubernetes.io/metadata.name": peer.pod.namespace,
      ...peer.pod.namespaceLabels,
    };
    if (p.namespaceSelector)
      return (
        matches(p.namespaceSelector, namespaceLabels) &&
        (p.podSelector === undefined || matches(p.podSelector, peer.pod.labels ?? {}))
      );
    if (p.podSelector)
      return peer.pod.namespace === policyNamespace && matches(p.podSelector, peer.pod.labels ?? {});
    return false;
  });
}

function matches(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === "In"
        ? has && (e.values ?? []).includes(value!)
        : e.operator === "NotIn"
          ? !has || !(e.values ?? []).includes(value!)
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** The NetworkPolicies of a namespace as the API server returns them from `kubectl get -o json`. */
export function policiesFromList(json: string): PolicyObject[] {
  return (JSON.parse(json) as { items: PolicyObject[] }).items;
}
