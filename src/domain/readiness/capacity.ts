import { capacityOf, judgeSiteCapacity } from "../capacity.js";
import type { NodeState } from "../site-health.js";
import { capLines } from "./evidence.js";
import type { ReadinessFinding } from "./readiness.js";
import { isRead, type NodeRequirement, type Read, type WorkloadSpec, workloadText } from "./site-objects.js";

/**
 * Capacity: the standby against the site serving the application, by the seed's N / N-1 rule (as
 * the k8s.capacity step judges it), and the node labels the application's pods select (nodeSelector
 * and required node affinity) present on a Ready node of the standby. Either missing is `not_ready`:
 * the failover's pods would stay Pending.
 */
export function judgeCapacity(input: {
  reference: { site: string; nodes: Read<NodeState[]> };
  candidate: { site: string; nodes: Read<NodeState[]> };
  /** The application's workloads as the serving site runs them. */
  workloads: Read<WorkloadSpec[]>;
  allowNMinus1?: boolean;
}): ReadinessFinding {
  const { reference, candidate } = input;
  const unread = [
    ...(isRead(reference.nodes) ? [] : [`${reference.site} nodes: ${reference.nodes.error}`]),
    ...(isRead(candidate.nodes) ? [] : [`${candidate.site} nodes: ${candidate.nodes.error}`]),
  ];
  if (!isRead(reference.nodes) || !isRead(candidate.nodes))
    return {
      check: "capacity",
      verdict: "unknown",
      summary: `the capacity of ${candidate.site} could not be compared with ${reference.site}'s`,
      evidence: unread,
      action: "make both sites answer drbot's reads (nodes are listed cluster-wide)",
    };
  const allow = input.allowNMinus1 ?? true;
  const judged = judgeSiteCapacity(
    capacityOf(reference.site, reference.nodes.value),
    capacityOf(candidate.site, candidate.nodes.value),
    allow,
  );
  const ready = candidate.nodes.value.filter((n) => n.ready);
  const unplaceable = isRead(input.workloads)
    ? input.workloads.value.flatMap((w) => {
        const wanted = selection(w);
        return wanted && !ready.some((n) => selects(w, n.labels))
          ? [`${workloadText(w)} selects ${wanted}: no Ready node on ${candidate.site} has it`]
          : [];
      })
    : [`node selectors not compared: ${input.workloads.error}`];
  const problems = [
    ...(judged.short
      ? [`${candidate.site} has less capacity than ${allow ? "N-1 of " : ""}${reference.site}`]
      : []),
    ...unplaceable.filter((line) => !line.startsWith("node selectors not compared")),
  ];
  const evidence = [judged.output, ...unplaceable];
  if (problems.length > 0)
    return {
      check: "capacity",
      verdict: "not_ready",
      summary: problems[0]!,
      evidence: capLines([...problems.slice(1), ...evidence]),
      action: judged.short
        ? `add nodes to ${candidate.site} (it needs ${allow ? "N-1 of " : ""}${reference.site}'s CPU and memory)`
        : `label ${candidate.site}'s nodes as the application's pods select (as on ${reference.site})`,
    };
  if (!isRead(input.workloads))
    return {
      check: "capacity",
      verdict: "unknown",
      summary: `${candidate.site} has the capacity; the node labels the pods select could not be read`,
      evidence: capLines(evidence),
      action: "make both sites answer drbot's reads",
    };
  return {
    check: "capacity",
    verdict: "ready",
    summary: `${candidate.site} has the capacity${allow ? " (N-1)" : ""} and the node labels the pods select`,
    evidence: capLines(evidence),
  };
}

/** What a workload's pods select, as a person reads it; undefined when they take any node. */
function selection(w: WorkloadSpec): string | undefined {
  const parts = Object.entries(w.nodeSelector).map(([k, v]) => `${k}=${v}`);
  if (w.nodeAffinity.length > 0)
    parts.push(w.nodeAffinity.map((term) => term.map(requirementText).join(" and ")).join(" or "));
  return parts.length > 0 ? parts.join(", ") : undefined;
}

function requirementText(r: NodeRequirement): string {
  return r.values.length > 0 ? `${r.key} ${r.operator} (${r.values.join(", ")})` : `${r.key} ${r.operator}`;
}

export function selects(w: WorkloadSpec, labels: Record<string, string>): boolean {
  if (!Object.entries(w.nodeSelector).every(([k, v]) => labels[k] === v)) return false;
  return w.nodeAffinity.length === 0 || w.nodeAffinity.some((term) => term.every((r) => matches(r, labels)));
}

function matches(r: NodeRequirement, labels: Record<string, string>): boolean {
  const value = labels[r.key];
  switch (r.operator) {
    case "In":
      return value !== undefined && r.values.includes(value);
    case "NotIn":
      return value === undefined || !r.values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
      return value !== undefined && Number(value) > Number(r.values[0]);
    case "Lt":
      return value !== undefined && Number(value) < Number(r.values[0]);
    default:
      return false;
  }
}
