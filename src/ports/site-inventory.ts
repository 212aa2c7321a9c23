import type { CrdState, NamespaceObjects } from "../domain/readiness/site-objects.js";
import type { NodeState } from "../domain/site-health.js";
import type { RequestOptions } from "./site.js";

/**
 * What the readiness checks read of a site: one namespace's objects at a time (workloads' pod
 * templates, CronJobs, ConfigMaps as hashes, Secret names, service accounts, Roles, RoleBindings),
 * its CRDs and its nodes. Read-only. The adapter is src/adapters/kubernetes/kubernetes-inventory.ts.
 *
 * Contract:
 * - Every request has the site's deadline; the caller's signal cuts it shorter. Failures are DrError
 *   with `reason`, `site` and `operation` in details, like SitePort's.
 * - Secrets are listed as metadata only: no value ever reaches drbot's memory, let alone a finding.
 * - A namespace that does not exist reads as empty (what listing it answers), not as an error.
 */
export interface SiteInventory {
  readonly name: string;
  readNamespace(namespace: string, options?: RequestOptions): Promise<NamespaceObjects>;
  listCrds(options?: RequestOptions): Promise<CrdState[]>;
  listNodes(options?: RequestOptions): Promise<NodeState[]>;
}

/** Inventories by site name. Throws DrError `invalid_input` for a site the configuration does not name. */
export interface SiteInventories {
  inventory(site: string): SiteInventory;
}
