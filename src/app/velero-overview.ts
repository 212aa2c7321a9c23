import type { Config, DataSourceConfig } from "../domain/config.js";
import { describeError } from "../domain/errors.js";
import {
  dataTime,
  isGoodBackup,
  newestFirst,
  newestGoodByNamespace,
  newestGoodBySchedule,
} from "../domain/restore-point.js";
import type { RunScope } from "../domain/run.js";
import type { BackupInfo } from "../domain/velero.js";
import {
  isVeleroNotInstalled,
  type ScheduleInfo,
  type StorageLocationInfo,
  type VeleroPort,
  type VeleroServices,
} from "../ports/velero.js";

/**
 * What Velero holds on one site, for `/dr status`, the approval card and `/dr failover --backup`:
 * schedules with their newest good backup, the newest good backup of each namespace, and the recent
 * backups with their times. Never throws: a site without Velero says "not installed", an
 * unreadable one says why.
 */
export type VeleroOverview =
  | {
      site: string;
      installed: true;
      schedules: Array<ScheduleInfo & { newestGood?: BackupInfo }>;
      byNamespace: Record<string, BackupInfo | undefined>;
      locations: StorageLocationInfo[];
      recent: RecentBackup[];
    }
  | { site: string; installed: false | "unknown"; detail: string };

/** One line of the approval card's list of restore points. */
export interface RecentBackup {
  name: string;
  schedule?: string;
  phase: string;
  /** When its data is from (Velero's start time). */
  dataAt: number;
  completedAt?: number;
  expiresAt?: number;
  /** Completed and not expired: usable as a restore point. */
  good: boolean;
  warnings: number;
  errors: number;
}

export async function veleroOverview(
  velero: VeleroPort,
  options: { now: number; namespaces?: readonly string[]; recentLimit?: number; signal?: AbortSignal },
): Promise<VeleroOverview> {
  const request = options.signal ? { signal: options.signal } : {};
  try {
    const [schedules, backups, locations] = await Promise.all([
      velero.listSchedules(request),
      velero.listBackups(request),
      velero.listStorageLocations(request),
    ]);
    const newest = newestGoodBySchedule(backups, options.now);
    const byNamespace = newestGoodByNamespace(backups, options.namespaces ?? [], options.now);
    return {
      site: velero.site,
      installed: true,
      schedules: schedules.map((s) => {
        const found = newest.get(s.name);
        return found ? { ...s, newestGood: found } : s;
      }),
      byNamespace: Object.fromEntries((options.namespaces ?? []).map((ns) => [ns, byNamespace.get(ns)])),
      locations,
      recent: recentOf(backups, options.now, options.recentLimit ?? 10),
    };
  } catch (error) {
    return notReadable(velero.site, error);
  }
}

/**
 * The most recent backups of a site (of one schedule, if given), newest first, with their times
 * and whether each is usable: what the approval card lists and what `--backup NAME` chooses from.
 */
export async function recentBackups(
  velero: VeleroPort,
  options: { now: number; schedule?: string; limit?: number; signal?: AbortSignal },
): Promise<
  | { site: string; installed: true; backups: RecentBackup[] }
  | Extract<VeleroOverview, { installed: false | "unknown" }>
> {
  try {
    const all = await velero.listBackups(options.signal ? { signal: options.signal } : {});
    const backups = options.schedule ? all.filter((b) => b.schedule === options.schedule) : all;
    return {
      site: velero.site,
      installed: true,
      backups: recentOf(backups, options.now, options.limit ?? 10),
    };
  } catch (error) {
    return notReadable(velero.site, error);
  }
}

function recentOf(backups: readonly BackupInfo[], now: number, limit: number): RecentBackup[] {
  return newestFirst(backups)
    .slice(0, limit)
    .map((b) => ({
      name: b.name,
      ...(b.schedule ? { schedule: b.schedule } : {}),
      phase: b.phase || "New",
      dataAt: dataTime(b),
      ...(b.completedAt !== undefined ? { completedAt: b.completedAt } : {}),
      ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
      good: isGoodBackup(b, now),
      warnings: b.warnings,
      errors: b.errors,
    }));
}

function notReadable(
  site: string,
  error: unknown,
): Extract<VeleroOverview, { installed: false | "unknown" }> {
  return isVeleroNotInstalled(error)
    ? { site, installed: false, detail: `Velero is not installed on ${site}` }
    : { site, installed: "unknown", detail: `could not read Velero on ${site}: ${describeError(error)}` };
}

/**
 * Restore points for a run's approval card and `/dr failover --backup NAME`: the recent backups of
 * every Velero schedule protecting the scope's applications, as the site that would restore
 * (the run's target) sees them. One entry per data source; never throws.
 */
export type ScopeRestorePoints = Array<
  { source: string; schedule: string } & Awaited<ReturnType<typeof recentBackups>>
>;

export async function restorePointsForScope(
  config: Config,
  velero: VeleroServices,
  scope: Pick<RunScope, "applications" | "toSite">,
  options: { now: number; limit?: number; signal?: AbortSignal },
): Promise<ScopeRestorePoints> {
  const names = new Set(
    config.applications.filter((a) => scope.applications.includes(a.name)).flatMap((a) => a.dataSources),
  );
  const sources = config.dataSources.filter(
    (s): s is Extract<DataSourceConfig, { kind: "velero" }> => s.kind === "velero" && names.has(s.name),
  );
  return Promise.all(
    sources.map(async (source) => {
      let port: VeleroPort;
      try {
        port = velero.velero(scope.toSite, source.namespace);
      } catch (error) {
        return { source: source.name, schedule: source.schedule, ...notReadable(scope.toSite, error) };
      }
      const found = await recentBackups(port, { ...options, schedule: source.schedule });
      return { source: source.name, schedule: source.schedule, ...found };
    }),
  );
}
