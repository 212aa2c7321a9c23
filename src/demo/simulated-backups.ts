import type { ScopeRestorePoints } from "../app/velero-overview.js";
import { type Cadence, lastOccurrence } from "../domain/cadence.js";
import type { Config } from "../domain/config.js";
import type { RpoReading } from "../domain/rpo.js";
import { designOf } from "../domain/rpo-design.js";

/**
 * The demo's data sources as a healthy site would show them, SIMULATED: every scheduled source takes
 * a backup at each occurrence of its cadence, which completes a little later; the newest completed
 * one is its recovery point. So backups age with the clock and a new one appears when its schedule
 * comes, and the same backup keeps the same name between requests (Velero names a scheduled backup
 * after its schedule and the time it started). Replication (PostgreSQL) lags a few seconds.
 * Pure: the time is passed in.
 */

/** How long a simulated backup takes from its scheduled start to completed. */
export const SIMULATED_BACKUP_MS = 2 * 60_000;
/** The simulated replication lag of a continuous source. */
const REPLICATION_LAG_MS = 4_000;
const HOURLY: Cadence = { kind: "interval", everyMs: 60 * 60_000 };

/** When the source's backups started, newest first: the `count` latest that have completed by `now`. */
export function scheduledBackups(cadence: Cadence, now: number, count: number): number[] {
  const completedBy = now - SIMULATED_BACKUP_MS;
  const starts: number[] = [];
  if (cadence.kind === "interval") {
    const newest = Math.floor(completedBy / cadence.everyMs) * cadence.everyMs;
    for (let i = 0; i < count; i++) starts.push(newest - i * cadence.everyMs);
    return starts;
  }
  if (cadence.kind !== "cron") return starts;
  let at = completedBy;
  while (starts.length < count) {
    const start = lastOccurrence(cadence.expression, at);
    if (start === undefined) break;
    starts.push(start);
    at = start - 1;
  }
  return starts;
}

export function simulatedRpo(config: Config, now: number): RpoReading[] {
  return config.dataSources.map((source) => {
    // A backup source without a designed cadence is simulated as hourly.
    const cadence = designOf(source).cadence ?? HOURLY;
    const detail = `SIMULATED ${source.kind} reading`;
    if (cadence.kind === "continuous")
      return { source: source.name, kind: source.kind, exposureMs: REPLICATION_LAG_MS, at: now, detail };
    const [newest] = scheduledBackups(cadence, now, 1);
    return {
      source: source.name,
      kind: source.kind,
      exposureMs: newest === undefined ? undefined : now - newest,
      at: now,
      detail,
      ...(newest !== undefined ? { recoveryPointAt: newest } : {}),
    };
  });
}

/** The three newest backups of each Velero schedule protecting the scope, on the scope's target site. */
export function simulatedRestorePoints(
  config: Config,
  scope: { applications: readonly string[]; toSite: string },
  now: number,
): ScopeRestorePoints {
  const names = new Set(
    config.applications.filter((a) => scope.applications.includes(a.name)).flatMap((a) => a.dataSources),
  );
  return config.dataSources.flatMap((source) => {
    if (source.kind !== "velero" || !names.has(source.name)) return [];
    const cadence = designOf(source).cadence ?? { kind: "interval", everyMs: 86_400_000 };
    const backups = scheduledBackups(cadence, now, 3).map((startedAt) => ({
      name: `${source.schedule}-${veleroStamp(startedAt)}-simulated`,
      schedule: source.schedule,
      phase: "Completed",
      dataAt: startedAt,
      completedAt: startedAt + SIMULATED_BACKUP_MS,
      good: true,
      warnings: 0,
      errors: 0,
    }));
    return [
      {
        source: source.name,
        schedule: source.schedule,
        site: scope.toSite,
        installed: true as const,
        backups,
      },
    ];
  });
}

/** Velero's suffix for a scheduled backup: the start time as YYYYMMDDhhmmss in UTC. */
function veleroStamp(at: number): string {
  return new Date(at).toISOString().replace(/\D/g, "").slice(0, 14);
}
