/**
 * A NetworkPolicy as drbot writes one, in Kubernetes' own terms but without the client library: the
 * Kubernetes adapter turns it into a networking.k8s.io/v1 object selecting every pod of a namespace.
 * Kubernetes' semantics apply: a pod selected by a policy of a direction accepts only what some rule
 * of that direction allows; a rule allows a connection when any of its peers matches and any of its
 * ports does (no ports: every port); a peer with both selectors must match both.
 *
 * Enforcement is the network plugin's (Calico, Cilium…): the API server only stores the object.
 */
export interface NetworkPolicyShape {
  /** What drbot made it for: its name is drbot-ROLE-RUNID. */
  role: "isolate" | "sandbox";
  /** Why the policy exists, written on it as an annotation for whoever reads it with kubectl. */
  purpose: string;
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

export interface PolicyRule {
  /** What the rule keeps open, in words (the annotation lists each rule's). */
  why: string;
  peers: PolicyPeer[];
  /** Empty: every port and protocol. */
  ports: PolicyPort[];
}

/** Labels to match exactly; `{}` matches everything. */
export type MatchLabels = Readonly<Record<string, string>>;

export type PolicyPeer =
  | { ipBlock: { cidr: string; except?: string[] } }
  /** Pods in the namespaces whose labels match, and (when given) only those pods whose labels match. */
  | { namespaceSelector: MatchLabels; podSelector?: MatchLabels }
  /** Pods of the policy's own namespace whose labels match. */
  | { podSelector: MatchLabels };

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface PolicyPort {
  protocol: Protocol;
  port: number;
}

/** The annotation listing a policy's rules in words, one per line, as "ingress 1: …". */
export function describeRules(policy: NetworkPolicyShape): string {
  return [
    ...policy.ingress.map((r, i) => `ingress ${i + 1}: ${r.why}`),
    ...policy.egress.map((r, i) => `egress ${i + 1}: ${r.why}`),
  ].join("\n");
}

/** The name of a run's policy of a role: drbot-ROLE-RUNID, cut to a Kubernetes name's 63 characters. */
export function runPolicyName(role: NetworkPolicyShape["role"], runId: string): string {
  return `drbot-${role}-${runId.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}
