import { describeError } from "../../domain/errors.js";
import type { CertificateReading } from "../../domain/readiness/certificates.js";
import type { DrillRecord } from "../../domain/readiness/drill.js";
import type { CrdState, NamespaceObjects, Read } from "../../domain/readiness/site-objects.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { NodeState } from "../../domain/site-health.js";
import { type Serving, servingSites } from "../../domain/site-state.js";
import type { SiteInventory } from "../../ports/site-inventory.js";
import type { ReadinessDeps } from "./assess-readiness.js";
import { readLastDrills } from "./last-drills.js";
import { eachBounded, paced, readWithin } from "./read-within.js";

/**
 * Everything one round reads, each once however many applications share it: a site's namespace is
 * listed once per round, whichever applications live in it; CRDs and nodes once per site; the data
 * sources, the site state and the run history once. Each reading is a value or why there is none.
 */
export interface RoundReadings {
  serving: Read<Serving[]>;
  /** site → namespace → its objects. */
  namespaces: Map<string, Map<string, Read<NamespaceObjects>>>;
  crds: Map<string, Read<CrdState[]>>;
  nodes: Map<string, Read<NodeState[]>>;
  rpo: Read<RpoReading[]>;
  drills: Read<Map<string, DrillRecord>>;
  /** https URL → its certificate. */
  certificates: Map<string, Read<CertificateReading>>;
}

export async function gatherReadings(
  deps: ReadinessDeps,
  signal: AbortSignal,
  /** The https health endpoints to read, once which site serves each application is known. */
  endpointsFor: (serving: Read<Serving[]>) => string[],
): Promise<RoundReadings> {
  const { config } = deps;
  const sites = config.sites.map((s) => s.name);
  const namespaces = [...new Set(config.applications.flatMap((a) => a.namespaces))];
  const limit = deps.concurrency ?? 2;
  const withCrds = config.applications.some((a) => a.readiness.crds.length > 0);

  const servingRead = readWithin(signal, async () => servingSites(config, await deps.siteState.current()));
  const perSite = sites.map(async (site) => {
    const inventory = inventoryOf(deps, site);
    const byNamespace = new Map<string, Read<NamespaceObjects>>();
    const [crds, nodes] = await Promise.all([
      "error" in inventory || !withCrds
        ? Promise.resolve<Read<CrdState[]>>("error" in inventory ? inventory : { value: [] })
        : readWithin(signal, () => inventory.value.listCrds({ signal })),
      "error" in inventory
        ? Promise.resolve<Read<NodeState[]>>(inventory)
        : readWithin(signal, () => inventory.value.listNodes({ signal })),
      eachBounded(
        namespaces,
        limit,
        async (ns) => {
          byNamespace.set(
            ns,
            "error" in inventory
              ? inventory
              : await readWithin(signal, () => inventory.value.readNamespace(ns, { signal })),
          );
        },
        paced(deps.namespacePaceMs ?? 50, signal),
      ),
    ]);
    return { site, byNamespace, crds, nodes };
  });
  const rpoRead: Promise<Read<RpoReading[]>> = deps.readRpo
    ? readWithin(signal, deps.readRpo)
    : Promise.resolve({ value: [] });
  const drillsRead = readWithin(signal, () =>
    readLastDrills(
      deps.runs,
      config.applications.map((a) => a.name),
    ),
  );
  const certificatesRead = servingRead.then(async (serving) => {
    const read = new Map<string, Read<CertificateReading>>();
    const reader = deps.certificates;
    await eachBounded(endpointsFor(serving), limit, async (url) => {
      read.set(
        url,
        reader
          ? await readWithin(signal, () =>
              reader.read(url, { signal, timeoutMs: deps.certificateTimeoutMs ?? 5_000 }),
            )
          : { error: "no certificate reader is configured" },
      );
    });
    return read;
  });
  const [serving, siteReadings, rpo, drills, certificates] = await Promise.all([
    servingRead,
    Promise.all(perSite),
    rpoRead,
    drillsRead,
    certificatesRead,
  ]);
  return {
    serving,
    namespaces: new Map(siteReadings.map((s) => [s.site, s.byNamespace])),
    crds: new Map(siteReadings.map((s) => [s.site, s.crds])),
    nodes: new Map(siteReadings.map((s) => [s.site, s.nodes])),
    rpo,
    drills,
    certificates,
  };
}

/** The site's inventory, or why there is none (none configured, a kubeconfig that cannot be used). */
function inventoryOf(deps: ReadinessDeps, site: string): Read<SiteInventory> {
  if (!deps.inventories) return { error: "no Kubernetes reader is configured" };
  try {
    return { value: deps.inventories.inventory(site) };
  } catch (error) {
    // Adapters are built on first use: a broken kubeconfig is this site's finding, not the round's end.
    return { error: describeError(error) };
  }
}
