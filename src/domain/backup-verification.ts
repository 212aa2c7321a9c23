import type { Config } from "./config.js";
import { formatMs } from "./duration.js";
import type { RpoReading } from "./rpo.js";

/**
 * The weekly backup verification (the seed's DR test schedule) as a pure judgement: every data
 * source must have a recovery point that could be read and verified (etcd snapshots are checked for
 * integrity when read), no older than the strictest RPO among the tiers it protects.
 */
export type SourceVerdict =
  | { source: string; kind: RpoReading["kind"]; ok: true; ageMs: number; limitMs: number; detail: string }
  | { source: string; kind: RpoReading["kind"] | "unknown"; ok: false; reason: string };

export function judgeBackups(
  config: Config,
  readings: readonly RpoReading[],
  only: readonly string[] = [],
): SourceVerdict[] {
  const sources = config.dataSources.filter((s) => only.length === 0 || only.includes(s.name));
  return sources.map((source) => {
    const limitMs = strictestRpoOf(config, source.name);
    const reading = readings.find((r) => r.source === source.name);
    if (!reading)
      return { source: source.name, kind: source.kind, ok: false, reason: "no reading (no answer in time)" };
    if (reading.exposureMs === undefined)
      return { source: source.name, kind: reading.kind, ok: false, reason: `unknown: ${reading.detail}` };
    if (limitMs !== undefined && reading.exposureMs > limitMs)
      return {
        source: source.name,
        kind: reading.kind,
        ok: false,
        reason: `newest recovery point is ${formatMs(reading.exposureMs)} old, beyond the ${formatMs(limitMs)} RPO it must meet (${reading.detail})`,
      };
    return {
      source: source.name,
      kind: reading.kind,
      ok: true,
      ageMs: reading.exposureMs,
      limitMs: limitMs ?? Number.POSITIVE_INFINITY,
      detail: reading.detail,
    };
  });
}

/** The strictest RPO among the tiers whose applications this source protects; undefined if none. */
function strictestRpoOf(config: Config, source: string): number | undefined {
  const tiers = new Set(config.applications.filter((a) => a.dataSources.includes(source)).map((a) => a.tier));
  const rpos = config.tiers.filter((t) => tiers.has(t.name)).map((t) => t.rpo);
  return rpos.length > 0 ? Math.min(...rpos) : undefined;
}

export function describeVerdict(v: SourceVerdict): string {
  return v.ok
    ? `✓ ${v.kind} ${v.source}: ${formatMs(v.ageMs)} old${Number.isFinite(v.limitMs) ? ` (RPO ${formatMs(v.limitMs)})` : ""}: ${v.detail}`
    : `✗ ${v.kind} ${v.source}: ${v.reason}`;
}
