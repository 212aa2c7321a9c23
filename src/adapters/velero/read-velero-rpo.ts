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
  const reading = (exposureMs: number | undefined, detail: string): RpoReading => ({
    source: source.name,
    kind: "velero",
    exposureMs,
    at: now,
    detail,
  });
  let backups: BackupInfo[];
  try {
    // Only the schedule's backups: a site keeps hundreds, and status has a deadline.
    backups = await velero.velero(source.site, source.namespace).listBackups({
      labelSelector: `${VELERO_SCHEDULE_LABEL}=${source.schedule}`,
      ...(options.signal ? { signal: options.signal } : {}),
    });
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
