import type { CertificateReading } from "../../domain/readiness/certificates.js";
import type { DrillRecord } from "../../domain/readiness/drill.js";
import type { CrdState, NamespaceObjects, Read } from "../../domain/readiness/site-objects.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { NodeState } from "../../domain/site-health.js";
import { type Serving, servingSites } from "../../domain/site-state.js";
import type { ReadinessDeps } from "./assess-readiness.js";
import { readLastDrills } from "./last-drills.js";
import { eachBounded, readWithin } from "./read-within.js";

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
  const limit = deps.concurrency ?? 8;
  const withCrds = config.applications.some((a) => a.readiness.crds.length > 0);
  const unconfigured = (what: string): Read<never> => ({ error: `no ${what} reader is configured` });

  const servingRead = readWithin(signal, async () => servingSites(config, await deps.siteState.current()));
  const perSite = sites.map(async (site) => {
    const inventory = deps.inventories?.inventory(site);
    const byNamespace = new Map<string, Read<NamespaceObjects>>();
    const [crds, nodes] = await Promise.all([
      inventory && withCrds
        ? readWithin(signal, () => inventory.listCrds({ signal }))
        : Promise.resolve<Read<CrdState[]>>(inventory ? { value: [] } : unconfigured("Kubernetes")),
      inventory
        ? readWithin(signal, () => inventory.listNodes({ signal }))
        : Promise.resolve<Read<NodeState[]>>(unconfigured("Kubernetes")),
      eachBounded(namespaces, limit, async (ns) => {
        byNamespace.set(
          ns,
          inventory
            ? await readWithin(signal, () => inventory.readNamespace(ns, { signal }))
            : unconfigured("Kubernetes"),
        );
      }),
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
          : unconfigured("certificate"),
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
