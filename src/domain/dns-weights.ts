import type { DnsRecordConfig } from "./config.js";
import { DrError } from "./errors.js";

/**
 * DNS weights as drbot reasons about them: record name → site → weight. The seed moves traffic by
 * setting the active site's weight to 100 and every other site's to 0 (DC1 100 / DC2 0 becomes
 * DC1 0 / DC2 100 and back). Pure: providers read and write the table, this file compares it.
 */
export type DnsWeights = Record<string, Record<string, number>>;

export const ACTIVE_WEIGHT = 100;
export const STANDBY_WEIGHT = 0;

/** Record names compare like DNS names: case-insensitive, a trailing dot means the same name. */
export function normalizeRecordName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * The records a step asks for, from the configuration. Throws DrError(invalid_input) for a name
 * the configuration does not know, and when nothing is configured (a switch of nothing would
 * report success while traffic stayed where it was).
 */
export function selectRecords(
  configured: readonly DnsRecordConfig[],
  wanted: readonly string[],
): DnsRecordConfig[] {
  if (configured.length === 0)
    throw new DrError("invalid_input", "no DNS records are configured (dns.records is empty)");
  const byName = new Map(configured.map((r) => [normalizeRecordName(r.name), r]));
  const unknown = wanted.filter((name) => !byName.has(normalizeRecordName(name)));
  if (unknown.length > 0)
    throw new DrError(
      "invalid_input",
      `unknown DNS record${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; configured: ${configured.map((r) => r.name).join(", ")}`,
    );
  return wanted.map((name) => byName.get(normalizeRecordName(name))!);
}

/** The records a run of these applications may move: those whose every application is among them. */
export function recordsOfScope(
  configured: readonly DnsRecordConfig[],
  applications: readonly string[],
): DnsRecordConfig[] {
  return configured.filter((r) => r.applications.every((a) => applications.includes(a)));
}

/** For each record that carries applications outside `applications`: the record and those applications. */
export function recordsOutsideScope(
  records: readonly DnsRecordConfig[],
  applications: readonly string[],
): { record: string; applications: string[] }[] {
  return records
    .map((r) => ({ record: r.name, applications: r.applications.filter((a) => !applications.includes(a)) }))
    .filter((r) => r.applications.length > 0);
}

/**
 * Weights that send all traffic of each record to `activeSite`: 100 there, 0 on every other site
 * the record names. Throws DrError(invalid_input) when a record has no weight for that site.
 */
export function weightsForActiveSite(records: readonly DnsRecordConfig[], activeSite: string): DnsWeights {
  const missing = records.filter((r) => !(activeSite in r.weights)).map((r) => r.name);
  if (missing.length > 0)
    throw new DrError(
      "invalid_input",
      `DNS record${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ha${missing.length > 1 ? "ve" : "s"} no weight for site ${activeSite}`,
    );
  const desired: DnsWeights = {};
  for (const record of records) {
    desired[record.name] = Object.fromEntries(
      Object.keys(record.weights).map((site) => [site, site === activeSite ? ACTIVE_WEIGHT : STANDBY_WEIGHT]),
    );
  }
  return desired;
}

export interface WeightDifference {
  record: string;
  site: string;
  expected: number;
  /** Undefined when the provider reported no weight for that record and site. */
  actual: number | undefined;
}

/** Every (record, site) of `desired` whose weight in `actual` is different or missing. */
export function differences(desired: DnsWeights, actual: DnsWeights): WeightDifference[] {
  const actualByName = new Map(Object.entries(actual).map(([name, w]) => [normalizeRecordName(name), w]));
  const out: WeightDifference[] = [];
  for (const [record, sites] of Object.entries(desired)) {
    const read = actualByName.get(normalizeRecordName(record)) ?? {};
    for (const [site, expected] of Object.entries(sites)) {
      if (read[site] !== expected) out.push({ record, site, expected, actual: read[site] });
    }
  }
  return out;
}

/** "app.example.com: dc1 0, dc2 100; api.example.com: …", sites in a stable order. */
export function describeWeights(weights: DnsWeights): string {
  const entries = Object.entries(weights);
  if (entries.length === 0) return "no records";
  return entries
    .map(([record, sites]) => {
      const parts = Object.keys(sites)
        .sort()
        .map((site) => `${site} ${sites[site]}`);
      return `${record}: ${parts.length > 0 ? parts.join(", ") : "no weights"}`;
    })
    .join("; ");
}

export function describeDifference(d: WeightDifference): string {
  return `${d.record} on ${d.site}: expected ${d.expected}, read ${d.actual ?? "nothing"}`;
}
