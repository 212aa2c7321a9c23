import { type Cadence, parseCadence } from "../../domain/cadence.js";
import type { DataSourceConfig } from "../../domain/config.js";
import { describeError } from "../../domain/errors.js";
import { dataTime, isExpired, newestFirst } from "../../domain/restore-point.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { BackupInfo } from "../../domain/velero.js";
import { isVeleroNotInstalled, VELERO_SCHEDULE_LABEL, type VeleroServices } from "../../ports/velero.js";

type VeleroSource = Extract<DataSourceConfig, { kind: "velero" }>;

/**
 * How much data a failover now would lose by this source: the age of the newest good (Completed,
 * unexpired) backup of the source's schedule, counted from when it started (its data is from then).
 * Never throws: Velero not installed, an unreadable site or no good backup give an unknown exposure
 * (the worst case for the tier) with a detail that says why.
 */
export async function readVeleroRpo(
  source: VeleroSource,
  velero: VeleroServices,
  now: number,
  options: { signal?: AbortSignal } = {},
): Promise<RpoReading> {
  let cadence: Cadence | undefined;
  const reading = (exposureMs: number | undefined, detail: string, pointAt?: number): RpoReading => ({
    source: source.name,
    kind: "velero",
    exposureMs,
    at: now,
    detail,
    ...(pointAt !== undefined ? { recoveryPointAt: pointAt } : {}),
    ...(cadence ? { cadence } : {}),
  });
  const signal = options.signal ? { signal: options.signal } : {};
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
    if (isVeleroNotInstalled(error)) return reading(undefined, `Velero is not installed on ${source.site}`);
    return reading(undefined, `could not read Velero backups: ${describeError(error)}`);
  }
  const ofSchedule = newestFirst(backups.filter((b) => b.schedule === source.schedule));
  const good = ofSchedule.find((b) => b.phase === "Completed" && !isExpired(b, now));
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
