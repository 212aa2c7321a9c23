import type { NodeState, SiteCapacity } from "./site-health.js";

/**
 * The seed's capacity rule: the DR site must have the primary's capacity (allocatable CPU and memory
 * of Ready nodes), or N-1 nodes' worth where allowed: with N Ready nodes on the primary, DR needs
 * (N-1)/N of its CPU and memory. Used by the k8s.capacity step and the readiness check alike.
 */
export interface CapacityJudgement {
  /** DR has less than it needs. */
  short: boolean;
  /** Both sites' figures, one line. */
  output: string;
}

export function judgeSiteCapacity(
  primary: SiteCapacity,
  dr: SiteCapacity,
  allowNMinus1: boolean,
): CapacityJudgement {
  // DR needs num/den of the primary; compared cross-multiplied so that (N-1)/N never rounds up.
  const [num, den] =
    allowNMinus1 && primary.readyNodes > 1 ? [primary.readyNodes - 1, primary.readyNodes] : [1, 1];
  const short = (have: number, primaryHas: number) => have * den < primaryHas * num;
  return {
    short: short(dr.cpuMillis, primary.cpuMillis) || short(dr.memoryBytes, primary.memoryBytes),
    output: `${describeCapacity(dr)}; ${describeCapacity(primary)}`,
  };
}

function describeCapacity(c: SiteCapacity): string {
  return `${c.site}: ${c.readyNodes} nodes, ${c.cpuMillis / 1000} CPU, ${(c.memoryBytes / 2 ** 30).toFixed(0)} GiB`;
}

/** A site's capacity from its nodes: allocatable CPU and memory of the Ready ones. */
export function capacityOf(site: string, nodes: readonly NodeState[]): SiteCapacity {
  const ready = nodes.filter((n) => n.ready);
  return {
    site,
    nodes: nodes.length,
    readyNodes: ready.length,
    cpuMillis: ready.reduce((sum, n) => sum + n.cpuMillis, 0),
    memoryBytes: ready.reduce((sum, n) => sum + n.memoryBytes, 0),
  };
}
