import { z } from "zod";
import { type Cadence, cadenceGap, cadenceSchema, describeCadence, lastOccurrence } from "./cadence.js";
import type { DataSourceConfig } from "./config.js";
import { durationSchema, formatMs } from "./duration.js";
import type { RpoReading } from "./rpo.js";

/**
 * RPO by design: each data source says how often it makes a recovery point (its cadence) and what
 * it protects. A source is judged against its own design, not against the tier's target: a daily
 * Velero backup of cluster objects made at 02:00 is on time at 23:00, while a backup that should
 * exist and does not is late, whatever the tier. Pure; time is passed in.
 */

/** Fields every data source may declare; defaults by kind are in `designOf`. */
export const backupDesignFields = {
  /**
   * How often it makes a recovery point: a cron expression (UTC, like Velero's schedule or a
   * Longhorn RecurringJob), an interval (6h), or continuous (replication). Unset: read from the
   * source where it can be (Velero's Schedule, Longhorn's recurring jobs), else not designed.
   */
  cadence: cadenceSchema
    .optional()
    .describe(
      "how often a recovery point is made: a cron expression (UTC), an interval (6h) or continuous; unset: read from Velero's Schedule or Longhorn's recurring jobs where drbot can",
    ),
  /**
   * What a failover would lose with it: application data (the tier's RPO follows these sources) or
   * cluster configuration (Kubernetes objects, etcd: shown beside, judged on their own cadence).
   */
  protects: z
    .enum(["data", "configuration"])
    .optional()
    .describe(
      "application data (the tier's RPO follows it) or cluster configuration (judged on its own cadence); default: data for longhorn and postgres, configuration for velero and etcd",
    ),
  /** How long one backup may take to complete before the one due counts as missing. */
  completesWithin: durationSchema
    .optional()
    .describe("how long one backup may take before the one due counts as missing; default 30m (etcd 15m)"),
};

export type Protects = "data" | "configuration";

export interface SourceDesign {
  protects: Protects;
  cadence: Cadence | undefined;
  completesWithinMs: number;
}

const DEFAULTS: Record<DataSourceConfig["kind"], { protects: Protects; completesWithinMs: number }> = {
  // The strategy installs Velero with --use-volume-snapshots=false: Kubernetes objects, not volumes.
  velero: { protects: "configuration", completesWithinMs: 30 * 60_000 },
  etcd: { protects: "configuration", completesWithinMs: 15 * 60_000 },
  longhorn: { protects: "data", completesWithinMs: 30 * 60_000 },
  postgres: { protects: "data", completesWithinMs: 0 },
};

/** The source's design with the defaults of its kind; replication is always continuous. */
export function designOf(source: DataSourceConfig): SourceDesign {
  const defaults = DEFAULTS[source.kind];
  return {
    protects: source.protects ?? defaults.protects,
    cadence: source.kind === "postgres" ? { kind: "continuous" } : source.cadence,
    completesWithinMs: source.completesWithin ?? defaults.completesWithinMs,
  };
}

/**
 * within_design: the newest recovery point is the one the cadence says should exist (or newer);
 * late: one that should exist by now does not (replication: lag over its alert threshold);
 * unknown: no reading; undesigned: read, but no cadence to judge it by (its age is all we know).
 */
export type SourceState = "within_design" | "late" | "unknown" | "undesigned";

export interface SourceRpo {
  source: string;
  kind: DataSourceConfig["kind"];
  protects: Protects;
  state: SourceState;
  /** Age of the newest good recovery point (replication: lag); undefined when unknown. */
  exposureMs: number | undefined;
  /** The cadence judged by, and where it came from. */
  cadence: Cadence | undefined;
  cadenceFrom: "config" | "source" | undefined;
  /** The most a failover could lose by design: longest gap plus completion time (replication: its alert threshold). */
  designMs: number | undefined;
  /** The recovery point that should exist by now was due at this time (scheduled sources). */
  dueAt?: number;
  /** One line a person can act on: what was read, against what design. */
  verdict: string;
  /** The reading's own words. */
  detail: string;
  /** What the reading wants a person to know besides (a newer backup not synced yet). */
  notice?: string;
  latencyMs?: number;
}

/** Clock skew between drbot and the cluster that made the backup, forgiven when judging lateness. */
const SKEW_MS = 60_000;

export function judgeSource(
  source: DataSourceConfig,
  reading: RpoReading | undefined,
  now: number,
): SourceRpo {
  const design = designOf(source);
  const cadence = design.cadence ?? reading?.cadence;
  const cadenceFrom = design.cadence ? "config" : reading?.cadence ? "source" : undefined;
  const threshold = source.kind === "postgres" ? source.lagAlert : undefined;
  const designMs =
    cadence === undefined
      ? undefined
      : cadence.kind === "continuous"
        ? threshold
        : cadenceGap(cadence) + design.completesWithinMs;
  const base = {
    source: source.name,
    kind: source.kind,
    protects: design.protects,
    cadence,
    cadenceFrom,
    designMs,
    detail: reading?.detail ?? "no reading: nothing in this drbot reads this source",
    ...(reading?.latencyMs !== undefined ? { latencyMs: reading.latencyMs } : {}),
    ...(reading?.notice ? { notice: reading.notice } : {}),
  } as const;
  const exposureMs = reading?.exposureMs;
  if (exposureMs === undefined)
    return { ...base, state: "unknown", exposureMs: undefined, verdict: `unknown: ${base.detail}` };
  const age = formatMs(exposureMs);
  const drift =
    design.cadence && reading?.cadence && describeCadence(design.cadence) !== describeCadence(reading.cadence)
      ? `; the source itself runs ${describeCadence(reading.cadence)}`
      : "";
  if (cadence === undefined)
    return {
      ...base,
      state: "undesigned",
      exposureMs,
      verdict: `${age} old; no cadence is declared, so drbot cannot tell late from on time`,
    };
  if (cadence.kind === "continuous") {
    const limit = threshold ?? 0;
    return exposureMs > limit
      ? { ...base, state: "late", exposureMs, verdict: `lag ${age} is over its ${formatMs(limit)} threshold` }
      : { ...base, state: "within_design", exposureMs, verdict: `lag ${age}, within ${formatMs(limit)}` };
  }
  const pointAt = reading?.recoveryPointAt ?? now - exposureMs;
  const dueAt =
    cadence.kind === "cron"
      ? lastOccurrence(cadence.expression, now - design.completesWithinMs)
      : now - cadence.everyMs - design.completesWithinMs;
  const every = describeCadence(cadence);
  if (dueAt !== undefined && pointAt < dueAt - SKEW_MS) {
    const missing =
      cadence.kind === "cron"
        ? `the one due at ${iso(dueAt)} (${every}, given ${formatMs(design.completesWithinMs)} to complete) is missing`
        : `one is due ${every} (given ${formatMs(design.completesWithinMs)} to complete)`;
    return {
      ...base,
      state: "late",
      exposureMs,
      dueAt,
      verdict: `late: newest recovery point ${age} old; ${missing}${drift}`,
    };
  }
  return {
    ...base,
    state: "within_design",
    exposureMs,
    ...(dueAt !== undefined ? { dueAt } : {}),
    verdict: `${age} old, on schedule (${every})${drift}`,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d+Z$/, "Z");
