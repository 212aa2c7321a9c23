import type { Cadence } from "./cadence.js";
import type { Config } from "./config.js";
import { formatMs } from "./duration.js";
import { judgeSource, type SourceRpo } from "./rpo-design.js";
import type { RpoRisk } from "./run.js";

/**
 * RPO exposure: how much data a failover now would lose, per tier. Each source protecting the tier's
 * applications is judged against its own design (rpo-design.ts); the tier's effective RPO is the
 * worst of the sources that carry its application data, with the configuration backups beside it.
 * A source that cannot be read counts as the worst case and says so.
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
  /** When the newest good recovery point's data is from (scheduled sources). */
  recoveryPointAt?: number;
  /** The cadence the source itself runs on, where it says (Velero's Schedule, Longhorn's recurring jobs). */
  cadence?: Cadence;
  /**
   * What a person should know even when the exposure is known: a newer backup the reading site has
   * not synced yet, a site that could not be compared. Shown with the source's verdict.
   */
  notice?: string;
}

/**
 * within_design: every source is on its schedule and the data at risk is within the target; late: a
 * recovery point that should exist does not; unknown: a source gave no reading (never read as "no
 * risk"); beyond_target: on schedule, but the design itself cannot meet the target.
 */
export type TierState = "within_design" | "late" | "unknown" | "beyond_target";

export interface TierRpo {
  tier: string;
  targetMs: number;
  /**
   * Worst exposure among the sources that carry the tier's application data (the tier's effective
   * RPO); Infinity when one of them is unknown; 0 when none does (configuration only).
   */
  effectiveMs: number;
  /** Sources (of either kind) that gave no reading. */
  unknown: string[];
  /** Scheduled sources whose recovery point that should exist does not. */
  late: string[];
  worstSource: string | undefined;
  /** Green: nothing late or unknown, and the data at risk within the target. */
  withinTarget: boolean;
  state: TierState;
  readings: RpoReading[];
  /** Every source protecting the tier, judged against its design: application data first. */
  sources: SourceRpo[];
  /** The tier has no data source configured: nothing to lose, nothing measured. */
  unprotected: boolean;
}

export function tierRpo(config: Config, readings: readonly RpoReading[], now: number): TierRpo[] {
  return config.tiers.map((tier) => {
    const names = new Set(
      config.applications.filter((a) => a.tier === tier.name).flatMap((a) => a.dataSources),
    );
    const relevant = readings.filter((r) => names.has(r.source));
    const sources = config.dataSources
      .filter((d) => names.has(d.name))
      .map((d) =>
        judgeSource(
          d,
          relevant.find((r) => r.source === d.name),
          now,
        ),
      )
      .sort((a, b) => (a.protects === b.protects ? 0 : a.protects === "data" ? -1 : 1));
    const unknown = sources.filter((s) => s.state === "unknown").map((s) => s.source);
    // A replica whose lag is over its alert threshold is late on its own line (and its lag alert
    // fires), but its data counts like any other: the tier turns red when it is beyond the RPO.
    const late = sources
      .filter((s) => s.state === "late" && s.cadence?.kind !== "continuous")
      .map((s) => s.source);
    let effectiveMs = 0;
    let worstSource: string | undefined;
    for (const s of sources.filter((s) => s.protects === "data")) {
      const value = s.exposureMs ?? Number.POSITIVE_INFINITY;
      if (worstSource === undefined || value > effectiveMs) {
        effectiveMs = value;
        worstSource = s.source;
      }
    }
    const state: TierState =
      late.length > 0
        ? "late"
        : unknown.length > 0
          ? "unknown"
          : effectiveMs > tier.rpo
            ? "beyond_target"
            : "within_design";
    return {
      tier: tier.name,
      targetMs: tier.rpo,
      effectiveMs,
      unknown,
      late,
      worstSource,
      withinTarget: state === "within_design",
      state,
      readings: relevant,
      sources,
      unprotected: names.size === 0,
    };
  });
}

/** The exposure of a run: among the tiers it touches, a red one first, then the least margin. */
export function runExposure(tiers: readonly TierRpo[], scopeTiers: readonly string[]): TierRpo | undefined {
  const worse = (a: TierRpo, b: TierRpo) =>
    a.withinTarget !== b.withinTarget
      ? !a.withinTarget
      : a.effectiveMs - a.targetMs > b.effectiveMs - b.targetMs;
  return tiers
    .filter((t) => scopeTiers.includes(t.tier) && !t.unprotected)
    .reduce<TierRpo | undefined>((worst, t) => (!worst || worse(t, worst) ? t : worst), undefined);
}

/**
 * What approvers must accept explicitly: the exposure of a real failover when it is beyond the tier's
 * RPO, a backup it relies on is late, or it could not be measured. Undefined when the exposure is within target (or nothing protects
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
    ...(exposure.late.length > 0
      ? {
          late: exposure.sources
            .filter((s) => s.state === "late")
            .map((s) => `${s.source} (${s.protects}): ${s.verdict}`),
        }
      : {}),
  };
}

/** Why a tier is not green, in one line (status warnings, alerts); undefined when it is. */
export function tierProblem(t: TierRpo): string | undefined {
  if (t.unprotected || t.withinTarget) return undefined;
  switch (t.state) {
    case "late":
      return `${t.tier}: a backup that should exist does not (${t.late.join(", ")})`;
    case "unknown":
      return `${t.tier}: RPO unknown, treat as at risk (${t.unknown.join(", ")} could not be read)`;
    default:
      if (!Number.isFinite(t.effectiveMs))
        return `${t.tier}: data at risk unknown (${t.worstSource ?? "a source"} gave no amount), treat as beyond the RPO target of ${formatMs(t.targetMs)}`;
      return `${t.tier}: data at risk ${formatMs(t.effectiveMs)} exceeds the RPO target of ${formatMs(t.targetMs)} (${t.worstSource ?? "?"})`;
  }
}

/**
 * Why each unknown source of a tier is unknown, in the reading's own words ("Velero is not
 * installed on dc2", "no answer within 2000 ms"); a source nothing reported on says so.
 */
export function unknownReasons(tier: TierRpo): { source: string; detail: string }[] {
  return tier.unknown.map((source) => ({
    source,
    detail:
      tier.sources.find((s) => s.source === source)?.detail ??
      "no reading: nothing in this drbot reads this source",
  }));
}
