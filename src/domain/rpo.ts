import type { Config } from "./config.js";
import type { RpoRisk } from "./run.js";

/**
 * RPO exposure: how much data a failover now would lose, per tier, from every source that protects
 * the tier's applications. A source that cannot be read counts as the worst case and says so.
 */
export interface RpoReading {
  source: string;
  kind: "velero" | "etcd" | "longhorn" | "postgres";
  /** Age of the newest good copy (or replication lag) in ms; undefined when it could not be read. */
  exposureMs: number | undefined;
  at: number;
  detail: string;
  /** How long reading this source took, in ms (shown in status, measured by the status benchmark). */
  latencyMs?: number;
}

export interface TierRpo {
  tier: string;
  targetMs: number;
  /** Worst exposure among the tier's sources; Infinity when a source is unknown. */
  effectiveMs: number;
  unknown: string[];
  worstSource: string | undefined;
  withinTarget: boolean;
  readings: RpoReading[];
  /** The tier has no data source configured: nothing to lose, nothing measured. */
  unprotected: boolean;
}

export function tierRpo(config: Config, readings: readonly RpoReading[]): TierRpo[] {
  return config.tiers.map((tier) => {
    const sources = new Set(
      config.applications.filter((a) => a.tier === tier.name).flatMap((a) => a.dataSources),
    );
    const relevant = readings.filter((r) => sources.has(r.source));
    const missing = [...sources].filter((s) => !relevant.some((r) => r.source === s));
    const unknown = [...relevant.filter((r) => r.exposureMs === undefined).map((r) => r.source), ...missing];
    let effectiveMs = 0;
    let worstSource: string | undefined;
    for (const r of relevant) {
      const value = r.exposureMs ?? Number.POSITIVE_INFINITY;
      if (value >= effectiveMs) {
        effectiveMs = value;
        worstSource = r.source;
      }
    }
    if (missing.length > 0) {
      effectiveMs = Number.POSITIVE_INFINITY;
      worstSource = missing[0];
    }
    return {
      tier: tier.name,
      targetMs: tier.rpo,
      effectiveMs,
      unknown,
      worstSource,
      withinTarget: effectiveMs <= tier.rpo,
      readings: relevant,
      unprotected: sources.size === 0,
    };
  });
}

/** The exposure of a run: the worst tier RPO among the tiers it touches. */
export function runExposure(tiers: readonly TierRpo[], scopeTiers: readonly string[]): TierRpo | undefined {
  return tiers
    .filter((t) => scopeTiers.includes(t.tier) && !t.unprotected)
    .reduce<TierRpo | undefined>(
      (worst, t) => (!worst || t.effectiveMs - t.targetMs > worst.effectiveMs - worst.targetMs ? t : worst),
      undefined,
    );
}

/**
 * What approvers must accept explicitly: the exposure of a real failover when it is beyond the tier's
 * RPO or could not be measured. Undefined when the exposure is within target (or nothing protects
 * the scope, so there is nothing to lose).
 */
export function rpoRiskOf(exposure: TierRpo | undefined): RpoRisk | undefined {
  if (!exposure || exposure.withinTarget) return undefined;
  return {
    ...(Number.isFinite(exposure.effectiveMs) ? { exposureMs: exposure.effectiveMs } : {}),
    targetMs: exposure.targetMs,
    tier: exposure.tier,
    ...(exposure.worstSource ? { source: exposure.worstSource } : {}),
    unknown: exposure.unknown,
  };
}

/**
 * Why each unknown source of a tier is unknown, in the reading's own words ("Velero is not
 * installed on dc2", "no answer within 2000 ms"); a source nothing reported on says so.
 */
export function unknownReasons(tier: TierRpo): { source: string; detail: string }[] {
  return tier.unknown.map((source) => ({
    source,
    detail:
      tier.readings.find((r) => r.source === source && r.exposureMs === undefined)?.detail ||
      "no reading: nothing in this drbot reads this source",
  }));
}
