/**
 * Whether a restore brought back what its backup holds: the backup's own list of what it contains
 * (Velero's BackupResourceList: "apps/v1/Deployment" → ["production/payments-api", …]) is compared,
 * type by type and name by name, with the objects found in the namespaces it was restored into.
 * Types the restore left out on purpose (its excluded resources), types Velero never restores and
 * types the cluster makes again under new names are not expected; cluster-scoped objects are not
 * part of a namespace's restore. An object of the backup
 * that is not in its restored namespace fails the verification, named.
 */

/** One type of a backed-up namespace, and where its objects should now be. */
export interface ExpectedGroup {
  /** The namespace backed up, and the one it was restored into (the same without a mapping). */
  from: string;
  into: string;
  apiVersion: string;
  kind: string;
  /** The API group ("" for the core group), to match the restore's exclusions. */
  group: string;
  names: string[];
}

/** What the site holds of one expected group: the type's resource name and its objects' names. */
export interface FoundGroup {
  /** The plural resource name ("deployments"), as the API server's discovery gives it. */
  resource: string;
  names: readonly string[];
}

export interface GroupCount {
  /** "Deployment drbot-restore-production". */
  what: string;
  backedUp: number;
  restored: number;
}

export interface RestoreVerdict {
  ok: boolean;
  counts: GroupCount[];
  /** "Deployment drbot-restore-production/payments-api (from production/payments-api)". */
  missing: string[];
  /** Types not expected, and why ("Secret in production: excluded by the restore"). */
  skipped: string[];
}

/**
 * Namespaced resources Velero never restores, whatever the restore asks (its nonRestorableResources),
 * as groupResource.
 */
export const VELERO_NEVER_RESTORES = [
  "events",
  "events.events.k8s.io",
  "backups.velero.io",
  "restores.velero.io",
  "backuprepositories.velero.io",
  "resticrepositories.velero.io",
] as const;

/**
 * Namespaced resources the cluster makes again by itself for what is restored, under new generated
 * names, so the backed-up names are not expected: a Service's EndpointSlices (payments-tbl7j), which
 * the EndpointSlice controller writes for the restored Service and whose backed-up copies, owned by
 * the Service of the other cluster, the garbage collector removes.
 */
export const REMADE_BY_THE_CLUSTER = ["endpointslices.discovery.k8s.io"] as const;

/** The backup's contents in the namespaces a restore took, grouped by namespace and type. */
export function expectedGroups(
  resourceList: Readonly<Record<string, readonly string[]>>,
  restore: { includedNamespaces: readonly string[]; namespaceMapping: Readonly<Record<string, string>> },
): ExpectedGroup[] {
  const taken = (ns: string) =>
    restore.includedNamespaces.length === 0 || restore.includedNamespaces.includes(ns);
  const groups = new Map<string, ExpectedGroup>();
  for (const [key, items] of Object.entries(resourceList)) {
    const type = typeOf(key);
    if (!type) continue;
    for (const item of items) {
      const slash = item.indexOf("/");
      if (slash < 0) continue; // cluster-scoped
      const from = item.slice(0, slash);
      if (!taken(from)) continue;
      const into = restore.namespaceMapping[from] ?? from;
      const id = `${into} ${key}`;
      const group = groups.get(id) ?? { from, into, ...type, names: [] };
      group.names.push(item.slice(slash + 1));
      groups.set(id, group);
    }
  }
  return [...groups.values()].sort((a, b) => `${a.into} ${a.kind}`.localeCompare(`${b.into} ${b.kind}`));
}

/** "apps/v1/Deployment" → apps/v1, Deployment, group apps; "v1/ConfigMap" → the core group. */
function typeOf(key: string): { apiVersion: string; kind: string; group: string } | undefined {
  const parts = key.split("/");
  if (parts.length === 2) return { apiVersion: parts[0]!, kind: parts[1]!, group: "" };
  if (parts.length === 3) return { apiVersion: `${parts[0]}/${parts[1]}`, kind: parts[2]!, group: parts[0]! };
  return undefined;
}

/**
 * Whether a restore that excluded `excluded` (Velero's names: "pods", "replicasets.apps") leaves
 * this resource out: by its qualified name, or by its bare name for the core group or as Velero
 * resolves a bare name to the resource's group.
 */
export function excludedBy(excluded: readonly string[], resource: string, group: string): boolean {
  const qualified = group ? `${resource}.${group}` : resource;
  return excluded.includes(qualified) || excluded.includes(resource);
}

/**
 * Why a resource of the backup is not expected in the restore (excluded by it, never restored by
 * Velero, made again by the cluster), or undefined when it is. `qualified` is "deployments.apps".
 */
export function notExpected(
  excluded: readonly string[],
  resource: string,
  group: string,
): string | undefined {
  const qualified = group ? `${resource}.${group}` : resource;
  if (excludedBy(excluded, resource, group)) return `excluded by the restore (${qualified})`;
  if ((VELERO_NEVER_RESTORES as readonly string[]).includes(qualified))
    return `Velero never restores ${qualified}`;
  if ((REMADE_BY_THE_CLUSTER as readonly string[]).includes(qualified))
    return "the cluster makes them again for the restored objects, under new names";
  return undefined;
}

/**
 * Compares each expected group with what was found. `found` is undefined for a type the site does
 * not serve (its objects cannot have been restored: all missing).
 */
export function verifyRestore(
  expected: readonly ExpectedGroup[],
  found: ReadonlyMap<ExpectedGroup, FoundGroup | undefined>,
  excluded: readonly string[],
): RestoreVerdict {
  const verdict: RestoreVerdict = { ok: true, counts: [], missing: [], skipped: [] };
  for (const group of expected) {
    const there = found.get(group);
    const why = there ? notExpected(excluded, there.resource, group.group) : undefined;
    if (why) {
      verdict.skipped.push(`${group.kind} in ${group.from}: ${why}`);
      continue;
    }
    const present = new Set(there?.names ?? []);
    const missing = group.names.filter((n) => !present.has(n));
    verdict.counts.push({
      what: `${group.kind} ${group.into}`,
      backedUp: group.names.length,
      restored: group.names.length - missing.length,
    });
    verdict.missing.push(...missing.map((n) => `${group.kind} ${group.into}/${n} (from ${group.from}/${n})`));
  }
  verdict.ok = verdict.missing.length === 0;
  return verdict;
}

/** "Deployment drbot-restore-production 2/2, ConfigMap drbot-restore-production 3/3". */
export function describeCounts(counts: readonly GroupCount[]): string {
  return counts.map((c) => `${c.what} ${c.restored}/${c.backedUp}`).join(", ");
}
