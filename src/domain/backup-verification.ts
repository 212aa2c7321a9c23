import type { Config } from "./config.js";
import { formatMs } from "./duration.js";
import type { RpoReading } from "./rpo.js";
import { judgeSource, type SourceRpo } from "./rpo-design.js";

/**
 * The weekly backup verification (the seed's DR test schedule) as a pure judgement: every data
 * source must have a recovery point that could be read and verified (etcd snapshots are checked for
 * integrity when read) and that is the one its cadence says should exist by now. A source carrying
 * application data must also be within the strictest RPO among the tiers it protects; one with no
 * declared cadence is held to that RPO alone.
 */
export type SourceVerdict =
  | { source: string; kind: RpoReading["kind"]; ok: true; ageMs: number; limitMs: number; detail: string }
  | { source: string; kind: RpoReading["kind"] | "unknown"; ok: false; reason: string };

export function judgeBackups(
  config: Config,
  readings: readonly RpoReading[],
  now: number,
  only: readonly string[] = [],
): SourceVerdict[] {
  const sources = config.dataSources.filter((s) => only.length === 0 || only.includes(s.name));
  return sources.map((source) => {
    const limitMs = strictestRpoOf(config, source.name);
    const reading = readings.find((r) => r.source === source.name);
    if (!reading)
      return { source: source.name, kind: source.kind, ok: false, reason: "no reading (no answer in time)" };
    const judged = judgeSource(source, reading, now);
    if (judged.exposureMs === undefined)
      return { source: source.name, kind: reading.kind, ok: false, reason: `unknown: ${reading.detail}` };
    const fail = (reason: string): SourceVerdict => ({
      source: source.name,
      kind: reading.kind,
      ok: false,
      reason: `${reason} (${reading.detail})`,
    });
    if (judged.state === "late") return fail(judged.verdict);
    const heldToRpo = judged.protects === "data" || judged.state === "undesigned";
    if (heldToRpo && limitMs !== undefined && judged.exposureMs > limitMs)
      return fail(
        `newest recovery point is ${formatMs(judged.exposureMs)} old, beyond the ${formatMs(limitMs)} RPO it must meet${designNote(judged, limitMs)}`,
      );
    return {
      source: source.name,
      kind: reading.kind,
      ok: true,
      ageMs: judged.exposureMs,
      limitMs: heldToRpo
        ? (limitMs ?? Number.POSITIVE_INFINITY)
        : (judged.designMs ?? Number.POSITIVE_INFINITY),
      detail: `${judged.verdict}: ${reading.detail}`,
    };
  });
}

function designNote(judged: SourceRpo, limitMs: number): string {
  return judged.designMs !== undefined && judged.designMs > limitMs
    ? `; its design allows up to ${formatMs(judged.designMs)}, so it cannot (drbot validate says what to change)`
    : "";
}

/** The strictest RPO among the tiers whose applications this source protects; undefined if none. */
export function strictestRpoOf(config: Config, source: string): number | undefined {
  const tiers = new Set(config.applications.filter((a) => a.dataSources.includes(source)).map((a) => a.tier));
  const rpos = config.tiers.filter((t) => tiers.has(t.name)).map((t) => t.rpo);
  return rpos.length > 0 ? Math.min(...rpos) : undefined;
}

export function describeVerdict(v: SourceVerdict): string {
  return v.ok
    ? `✓ ${v.kind} ${v.source}: ${formatMs(v.ageMs)} old${Number.isFinite(v.limitMs) ? ` (limit ${formatMs(v.limitMs)})` : ""}: ${v.detail}`
    : `✗ ${v.kind} ${v.source}: ${v.reason}`;
}
