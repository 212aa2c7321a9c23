import { type Cadence, parseCadence } from "../../domain/cadence.js";
import type { DataSourceConfig } from "../../domain/config.js";
import { formatMs } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import { dataTime, isExpired, newestFirst } from "../../domain/restore-point.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { BackupInfo } from "../../domain/velero.js";
import {
  isVeleroNotInstalled,
  type StorageLocationInfo,
  VELERO_SCHEDULE_LABEL,
  type VeleroServices,
} from "../../ports/velero.js";

type VeleroSource = Extract<DataSourceConfig, { kind: "velero" }>;

/** How long the look at the other sites may take: a hung primary must not hold up the reading. */
const COMPARE_TIMEOUT_MS = 1_000;

/**
 * How much data a failover now would lose by this source: the age of the newest good (Completed,
 * unexpired) backup of the source's schedule, counted from when it started (its data is from then).
 * The backups read are the source's site's (the one that would restore).
 * Never throws: Velero not installed, an unreadable site or no good backup give an unknown exposure
 * (the worst case for the tier) with a detail that says why.
 *
 * With `compareWith` (the other sites), the reading also says when one of them has a newer good
 * backup of the schedule that the source's site has not brought in from the shared storage location
 * yet (Velero does that on its sync period), with when its location last synced; and when a site
 * could not be asked (the primary is down: the usual case in a disaster).
 */
export async function readVeleroRpo(
  source: VeleroSource,
  velero: VeleroServices,
  now: number,
  options: { signal?: AbortSignal; compareWith?: readonly string[] } = {},
): Promise<RpoReading> {
  let cadence: Cadence | undefined;
  let notice = "";
  const reading = (exposureMs: number | undefined, detail: string, pointAt?: number): RpoReading => ({
    source: source.name,
    kind: "velero",
    exposureMs,
    at: now,
    detail: notice ? `${detail}; ${notice}` : detail,
    ...(pointAt !== undefined ? { recoveryPointAt: pointAt } : {}),
    ...(cadence ? { cadence } : {}),
    ...(notice ? { notice } : {}),
  });
  const signal = options.signal ? { signal: options.signal } : {};
  const elsewhere = compareElsewhere(source, velero, options);
  let backups: BackupInfo[];
  try {
    const site = velero.velero(source.site, source.namespace);
    // Only the schedule's backups: a site keeps hundreds, and status has a deadline. The Schedule,
    // when this site has it (the site running it; a DR site syncing backups from the bucket may
    // not), gives the cadence they are made on: read beside them, and only a hint (see below).
    const [found, schedules] = await Promise.all([
      site.listBackups({ labelSelector: `${VELERO_SCHEDULE_LABEL}=${source.schedule}`, ...signal }),
      site.listSchedules(signal).then(
        (all) => ({ all }),
        (error: unknown) => ({ error }),
      ),
    ]);
    backups = found;
    // A Schedule that cannot be read leaves the cadence to the configuration: the backups, read
    // the same way a moment ago, are what the reading is about.
    const cron = "all" in schedules ? schedules.all.find((s) => s.name === source.schedule)?.cron : undefined;
    if (cron) cadence = cadenceOf(cron);
  } catch (error) {
    await elsewhere;
    if (isVeleroNotInstalled(error)) return reading(undefined, `Velero is not installed on ${source.site}`);
    return reading(undefined, `could not read Velero backups: ${describeError(error)}`);
  }
  const ofSchedule = newestFirst(backups.filter((b) => b.schedule === source.schedule));
  const good = ofSchedule.find((b) => b.phase === "Completed" && !isExpired(b, now));
  const compared = await elsewhere;
  notice = syncNote(source, good, compared.others, compared.locations, now);
  if (good)
    return reading(
      Math.max(0, now - dataTime(good)),
      `newest Completed backup of ${source.schedule} on ${source.site}: ${good.name}`,
      dataTime(good),
    );
  if (ofSchedule.length === 0)
    return reading(undefined, `no backup of schedule ${source.schedule} on ${source.site}`);
  const newest = ofSchedule[0]!;
  return reading(
    undefined,
    `no good backup of schedule ${source.schedule} on ${source.site}: the newest, ${newest.name}, is ${
      newest.phase === "Completed" ? "expired" : newest.phase || "New"
    }`,
  );
}

/** Velero's schedule is a cron expression (or "@every 1h"); one drbot cannot read gives no cadence. */
function cadenceOf(cron: string): Cadence | undefined {
  const parsed = parseCadence(cron);
  return "error" in parsed ? undefined : parsed;
}

interface Elsewhere {
  others: Array<{ site: string; backups?: BackupInfo[]; error?: string }>;
  locations: StorageLocationInfo[];
}

/**
 * The schedule's backups on every other site, each under COMPARE_TIMEOUT_MS, and the source site's
 * storage locations (when it last synced). Never throws: a site that cannot be asked says why; a
 * site without Velero has nothing to compare.
 */
async function compareElsewhere(
  source: VeleroSource,
  velero: VeleroServices,
  options: { signal?: AbortSignal; compareWith?: readonly string[] },
): Promise<Elsewhere> {
  const others = (options.compareWith ?? []).filter((s) => s !== source.site);
  if (others.length === 0) return { others: [], locations: [] };
  const timeout = AbortSignal.timeout(COMPARE_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const labelSelector = `${VELERO_SCHEDULE_LABEL}=${source.schedule}`;
  const [found, locations] = await Promise.all([
    Promise.all(
      others.map(async (site) => {
        try {
          return {
            site,
            backups: await velero.velero(site, source.namespace).listBackups({ labelSelector, signal }),
          };
        } catch (error) {
          return isVeleroNotInstalled(error) ? { site, backups: [] } : { site, error: describeError(error) };
        }
      }),
    ),
    (async () => {
      try {
        return await velero.velero(source.site, source.namespace).listStorageLocations({ signal });
      } catch (error) {
        // Only the "last synced" part of the note is lost; the backups were read by the caller.
        return { error: describeError(error) };
      }
    })(),
  ]);
  return { others: found, locations: Array.isArray(locations) ? locations : [] };
}

/** "dc1 has a newer backup … not on dc2 yet …", or what could not be compared; "" when in step. */
function syncNote(
  source: VeleroSource,
  good: BackupInfo | undefined,
  elsewhere: Elsewhere["others"],
  locations: readonly StorageLocationInfo[],
  now: number,
): string {
  const notes: string[] = [];
  for (const other of elsewhere) {
    if (other.error !== undefined) {
      notes.push(`could not ask ${other.site} whether it has newer backups (${other.error})`);
      continue;
    }
    const newer = newestFirst((other.backups ?? []).filter((b) => b.schedule === source.schedule)).find(
      (b) => b.phase === "Completed" && !isExpired(b, now) && (!good || dataTime(b) > dataTime(good)),
    );
    if (!newer) continue;
    const location = locations.find((l) => l.isDefault) ?? locations[0];
    const synced =
      location?.lastSyncedAt !== undefined
        ? `its storage location ${location.name} last synced ${formatMs(Math.max(0, now - location.lastSyncedAt))} ago`
        : "its storage location has not synced yet";
    notes.push(
      `${other.site} has a newer Completed backup, ${newer.name}, not on ${source.site} yet (${source.site}'s Velero brings it in from the bucket at its next sync; ${synced})`,
    );
  }
  return notes.join("; ");
}
