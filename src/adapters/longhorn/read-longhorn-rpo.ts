import { type Cadence, cadenceGap, parseCadence } from "../../domain/cadence.js";
import type { DataSourceConfig } from "../../domain/config.js";
import { formatMs } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import type { RpoReading } from "../../domain/rpo.js";
import {
  isLonghornNotInstalled,
  type LonghornServices,
  type VolumeBackupStatus,
} from "../../ports/longhorn.js";
import type { RequestOptions } from "../../ports/site.js";

export type LonghornSource = Extract<DataSourceConfig, { kind: "longhorn" }>;

/**
 * How much data a failover would lose from a Longhorn source: the age of the newest good backup of
 * each of its volumes, and the source counts as its worst (oldest) one. Never throws: a site without
 * Longhorn, an unreadable site or a volume without any backup make the reading unknown (treated as
 * the worst case by tierRpo) with the reason in `detail`.
 */
export async function readLonghornRpo(
  source: LonghornSource,
  longhorn: LonghornServices,
  now: number,
  options: RequestOptions & { timeoutMs?: number } = {},
): Promise<RpoReading> {
  const reading = (exposureMs: number | undefined, detail: string): RpoReading => ({
    source: source.name,
    kind: "longhorn",
    exposureMs,
    at: now,
    detail,
  });
  // A reading for status has a budget of its own, shorter than the site's request timeout.
  const budget = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, budget].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  let statuses: VolumeBackupStatus[];
  try {
    statuses = await longhorn
      .site(source.site)
      .backupStatus(source.namespace, source.volumes, signal ? { signal } : {});
  } catch (error) {
    if (isLonghornNotInstalled(error))
      return reading(undefined, `Longhorn is not installed on ${source.site}`);
    if (budget?.aborted)
      return reading(undefined, `no answer from Longhorn on ${source.site} within ${options.timeoutMs} ms`);
    return reading(undefined, `could not read Longhorn on ${source.site}: ${describeError(error)}`);
  }
  const notes = statuses.flatMap(notesOf);
  const withoutBackup = statuses.filter((s) => s.newest === undefined);
  if (withoutBackup.length > 0)
    return reading(
      undefined,
      [`no backup of ${withoutBackup.map((s) => s.volume).join(", ")} on ${source.site}`, ...notes].join(
        "; ",
      ),
    );
  const ages = statuses.map((s) => ({ status: s, ageMs: Math.max(0, now - s.newest!.at) }));
  const worst = ages.reduce((a, b) => (b.ageMs > a.ageMs ? b : a));
  const cadence = slowestCadence(statuses);
  return {
    ...reading(
      worst.ageMs,
      [
        `oldest newest backup: ${worst.status.volume} (${worst.status.newest!.name}, ${formatMs(worst.ageMs)} ago) on ${source.site}`,
        ...notes,
      ].join("; "),
    ),
    recoveryPointAt: worst.status.newest!.at,
    ...(cadence ? { cadence } : {}),
  };
}

/**
 * The cadence the recurring jobs give the source: each volume is backed up by its most frequent
 * job, and the source is only as frequent as its least covered volume. None when any volume has no
 * recurring backup job (it is backed up by hand, if at all).
 */
function slowestCadence(statuses: readonly VolumeBackupStatus[]): Cadence | undefined {
  let slowest: { cadence: Cadence; gap: number } | undefined;
  for (const status of statuses) {
    let best: { cadence: Cadence; gap: number } | undefined;
    for (const job of status.recurringJobs) {
      const parsed = parseCadence(job.cron);
      if ("error" in parsed) continue;
      const gap = cadenceGap(parsed);
      if (!best || gap < best.gap) best = { cadence: parsed, gap };
    }
    if (!best) return undefined;
    if (!slowest || best.gap > slowest.gap) slowest = best;
  }
  return slowest?.cadence;
}

function notesOf(status: VolumeBackupStatus): string[] {
  const notes: string[] = [];
  if (status.target?.available === false)
    notes.push(
      `backup target ${status.target.name} unavailable${status.target.message ? ` (${status.target.message})` : ""}`,
    );
  if (status.failed > 0) notes.push(`${status.volume}: ${status.failed} failed backup(s)`);
  return notes;
}
