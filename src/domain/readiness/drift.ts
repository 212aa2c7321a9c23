import { capLines, MAX_EVIDENCE_LINES } from "./evidence.js";
import type { ReadinessFinding } from "./readiness.js";
import { type CrdState, isRead, type NamespaceObjects, type Read, workloadText } from "./site-objects.js";

/**
 * Drift: would the standby run what the serving site runs? For the application's namespaces, the
 * standby (`candidate`) is compared with the site serving it (`reference`): the workloads and each
 * container's image, the content of every ConfigMap their pods refer to, the names of the Secrets
 * they refer to (never a value), the service accounts they run as with their RoleBindings and Roles,
 * and the CRDs the application declares, at the versions the reference serves.
 *
 * Verdicts: anything a pod needs to start that is absent from the candidate (a workload, a ConfigMap
 * or Secret it mounts or reads, its service account, a CRD or a served version of one) is
 * `not_ready`: the failover would scale up pods that cannot start. What differs but exists (an
 * image tag, a ConfigMap's content, a Role's rules, a binding) is `degraded`: the standby would
 * start, running something other than what serves now. A reference marked `optional` is degraded
 * when missing. The diff lists the worst lines first, at most MAX_DIFF_LINES, then "and N more".
 */
export const MAX_DIFF_LINES = MAX_EVIDENCE_LINES;

export interface DriftSide {
  site: string;
  namespaces: Read<NamespaceObjects[]>;
  crds: Read<CrdState[]>;
}

type Difference = { verdict: "not_ready" | "unknown" | "degraded"; line: string };

export function judgeDrift(input: {
  reference: DriftSide;
  candidate: DriftSide;
  /** The CRDs the application uses (configured per application). */
  crds: readonly string[];
}): ReadinessFinding {
  const { reference, candidate } = input;
  const unread = [reference, candidate].flatMap((side) => [
    ...(isRead(side.namespaces) ? [] : [`${side.site}: ${side.namespaces.error}`]),
    ...(input.crds.length > 0 && !isRead(side.crds) ? [`${side.site} CRDs: ${side.crds.error}`] : []),
  ]);
  if (unread.length > 0 || !isRead(reference.namespaces) || !isRead(candidate.namespaces))
    return {
      check: "drift",
      verdict: "unknown",
      summary: `drift between ${reference.site} and ${candidate.site} could not be read`,
      evidence: unread,
      action: "make both sites answer drbot's reads (reachable, and its account may list these objects)",
    };
  const sites = { ref: reference.site, cand: candidate.site };
  const differences: Difference[] = [
    ...reference.namespaces.value.flatMap((ns) =>
      namespaceDifferences(
        ns,
        findNamespace(candidate.namespaces as { value: NamespaceObjects[] }, ns),
        sites,
      ),
    ),
    ...crdDifferences(input.crds, reference.crds, candidate.crds, sites),
  ];
  if (differences.length === 0) {
    const namespaces = reference.namespaces.value;
    const count = (f: (ns: NamespaceObjects) => number) => namespaces.reduce((sum, ns) => sum + f(ns), 0);
    const counts = [
      `${count((ns) => ns.workloads.length)} workloads`,
      `${count((ns) => usedNames(ns, "configMaps").size)} ConfigMaps`,
      `${count((ns) => usedNames(ns, "secrets").size)} Secrets`,
      ...(input.crds.length > 0 ? [`${input.crds.length} CRDs`] : []),
    ];
    return {
      check: "drift",
      verdict: "ready",
      summary: `${candidate.site} matches ${reference.site}: ${counts.join(", ")}`,
      evidence: [],
    };
  }
  const sorted = (["not_ready", "unknown", "degraded"] as const).flatMap((v) =>
    differences.filter((d) => d.verdict === v),
  );
  const verdict = sorted[0]!.verdict;
  const shown = capLines(
    sorted.map((d) => d.line),
    MAX_DIFF_LINES,
  );
  return {
    check: "drift",
    verdict,
    summary: `${sorted.length} ${sorted.length === 1 ? "difference" : "differences"} between ${reference.site} and ${candidate.site}: ${sorted[0]!.line}`,
    evidence: shown,
    action:
      verdict === "not_ready"
        ? `create what is missing on ${candidate.site} (deploy the application there as on ${reference.site}) before a failover`
        : verdict === "unknown"
          ? "let drbot list what it could not (see the evidence), so the sites can be compared whole"
          : `bring ${candidate.site} in line with ${reference.site} (same images and configuration), or confirm the difference is intended`,
  };
}

function findNamespace(candidate: { value: NamespaceObjects[] }, ns: NamespaceObjects): NamespaceObjects {
  return (
    candidate.value.find((c) => c.namespace === ns.namespace) ?? {
      namespace: ns.namespace,
      workloads: [],
      cronJobs: [],
      configMaps: {},
      secrets: [],
      serviceAccounts: [],
      roles: {},
      roleBindings: [],
    }
  );
}

/** The ConfigMaps or Secrets the namespace's workloads refer to, optional only if every reference is. */
function usedNames(ns: NamespaceObjects, what: "configMaps" | "secrets"): Map<string, boolean> {
  const used = new Map<string, boolean>();
  for (const w of ns.workloads)
    for (const use of w[what]) used.set(use.name, (used.get(use.name) ?? true) && use.optional);
  return used;
}

function namespaceDifferences(
  ref: NamespaceObjects,
  cand: NamespaceObjects,
  sites: { ref: string; cand: string },
): Difference[] {
  const out: Difference[] = [];
  const missing = (optional: boolean) => (optional ? "degraded" : "not_ready");
  const candWorkloads = new Map(cand.workloads.map((w) => [workloadText(w), w]));
  for (const w of ref.workloads) {
    const other = candWorkloads.get(workloadText(w));
    if (!other) {
      out.push({ verdict: "not_ready", line: `${workloadText(w)}: missing on ${sites.cand}` });
      continue;
    }
    const theirs = new Map(other.containers.map((c) => [c.name, c.image]));
    for (const c of w.containers) {
      const image = theirs.get(c.name);
      if (image === undefined)
        out.push({
          verdict: "degraded",
          line: `${workloadText(w)} container ${c.name}: missing on ${sites.cand}`,
        });
      else if (image !== c.image)
        out.push({
          verdict: "degraded",
          line: `image ${workloadText(w)} container ${c.name}: ${c.image} on ${sites.ref}, ${image} on ${sites.cand}`,
        });
    }
    const mine = new Set(w.containers.map((c) => c.name));
    for (const c of other.containers)
      if (!mine.has(c.name))
        out.push({
          verdict: "degraded",
          line: `${workloadText(w)} container ${c.name}: only on ${sites.cand}`,
        });
  }
  for (const [name, optional] of usedNames(ref, "configMaps")) {
    const [a, b] = [ref.configMaps[name], cand.configMaps[name]];
    if (a === undefined) continue; // missing on the serving site too: not a difference between them
    if (b === undefined)
      out.push({
        verdict: missing(optional),
        line: `ConfigMap ${ref.namespace}/${name}: missing on ${sites.cand}`,
      });
    else if (a !== b)
      out.push({
        verdict: "degraded",
        line: `ConfigMap ${ref.namespace}/${name}: content differs (sha256 ${a.slice(0, 12)} on ${sites.ref}, ${b.slice(0, 12)} on ${sites.cand})`,
      });
  }
  const candSecrets = new Set(cand.secrets);
  const refSecrets = new Set(ref.secrets);
  const secretsUsed = usedNames(ref, "secrets");
  const unread = [ref.secretsUnread, cand.secretsUnread].filter((u) => u !== undefined);
  if (secretsUsed.size > 0 && unread.length > 0)
    out.push({
      verdict: "unknown",
      line: `Secret names in ${ref.namespace} not compared: ${unread.join("; ")}`,
    });
  else
    for (const [name, optional] of secretsUsed)
      if (refSecrets.has(name) && !candSecrets.has(name))
        out.push({
          verdict: missing(optional),
          line: `Secret ${ref.namespace}/${name}: missing on ${sites.cand}`,
        });
  out.push(...accessDifferences(ref, cand, sites));
  return out;
}

/** The service accounts the workloads run as, the RoleBindings that bind them, and those Roles. */
function accessDifferences(
  ref: NamespaceObjects,
  cand: NamespaceObjects,
  sites: { ref: string; cand: string },
): Difference[] {
  const out: Difference[] = [];
  const accounts = new Set(ref.workloads.map((w) => w.serviceAccount));
  const candAccounts = new Set(cand.serviceAccounts);
  for (const account of [...accounts].sort())
    if (ref.serviceAccounts.includes(account) && !candAccounts.has(account))
      out.push({
        verdict: "not_ready",
        line: `ServiceAccount ${ref.namespace}/${account}: missing on ${sites.cand}`,
      });
  const subjects = new Set([...accounts].map((a) => `ServiceAccount ${ref.namespace}/${a}`));
  const candBindings = new Map(cand.roleBindings.map((b) => [b.name, b]));
  const roles = new Set<string>();
  for (const binding of ref.roleBindings.filter((b) => b.subjects.some((s) => subjects.has(s)))) {
    if (binding.roleRef.startsWith("Role/")) roles.add(binding.roleRef.slice("Role/".length));
    const other = candBindings.get(binding.name);
    if (!other)
      out.push({
        verdict: "degraded",
        line: `RoleBinding ${ref.namespace}/${binding.name}: missing on ${sites.cand}`,
      });
    else if (
      other.roleRef !== binding.roleRef ||
      [...other.subjects].sort().join() !== [...binding.subjects].sort().join()
    )
      out.push({
        verdict: "degraded",
        line: `RoleBinding ${ref.namespace}/${binding.name}: binds ${other.roleRef} to ${other.subjects.length} subjects on ${sites.cand}, ${binding.roleRef} to ${binding.subjects.length} on ${sites.ref}`,
      });
  }
  for (const role of [...roles].sort()) {
    const [a, b] = [ref.roles[role], cand.roles[role]];
    if (a === undefined) continue;
    if (b === undefined)
      out.push({ verdict: "degraded", line: `Role ${ref.namespace}/${role}: missing on ${sites.cand}` });
    else if (a !== b) out.push({ verdict: "degraded", line: `Role ${ref.namespace}/${role}: rules differ` });
  }
  return out;
}

function crdDifferences(
  names: readonly string[],
  ref: Read<CrdState[]>,
  cand: Read<CrdState[]>,
  sites: { ref: string; cand: string },
): Difference[] {
  if (names.length === 0 || !isRead(ref) || !isRead(cand)) return [];
  const out: Difference[] = [];
  for (const name of names) {
    const a = ref.value.find((c) => c.name === name);
    const b = cand.value.find((c) => c.name === name);
    if (!b) {
      out.push({ verdict: "not_ready", line: `CRD ${name}: missing on ${sites.cand}` });
      continue;
    }
    if (!a) {
      out.push({ verdict: "degraded", line: `CRD ${name}: on ${sites.cand} but not on ${sites.ref}` });
      continue;
    }
    const unserved = a.served.filter((v) => !b.served.includes(v));
    if (unserved.length > 0)
      out.push({
        verdict: "not_ready",
        line: `CRD ${name}: ${unserved.join(", ")} served on ${sites.ref}, not on ${sites.cand} (serves ${b.served.join(", ") || "none"})`,
      });
  }
  return out;
}
