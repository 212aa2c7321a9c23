import { formatMs } from "./duration.js";
import type { BackupInfo } from "./velero.js";

/**
 * Which Velero backup to restore from, and what backups say about data at risk. Pure: the backups
 * and the time are passed in.
 *
 * A backup is good when Velero Completed it and it has not expired: an expired backup may already
 * be garbage-collected from the storage location, so restoring from it is a gamble, not a plan.
 */
export function isGoodBackup(backup: BackupInfo, now: number): boolean {
  return backup.phase === "Completed" && !isExpired(backup, now);
}

export function isExpired(backup: BackupInfo, now: number): boolean {
  return backup.expiresAt !== undefined && backup.expiresAt <= now;
}

/**
 * The time the backup's data is from: when Velero started it. Anything written after that may be
 * missing, so RPO exposure counts from here, not from completion.
 */
export function dataTime(backup: BackupInfo): number {
  return backup.startedAt ?? backup.completedAt ?? backup.createdAt;
}

/** Does the backup hold every one of these namespaces? (No namespaces asked: any backup does.) */
export function coversNamespaces(backup: BackupInfo, namespaces: readonly string[]): boolean {
  const all = backup.includedNamespaces.length === 0 || backup.includedNamespaces.includes("*");
  return namespaces.every(
    (ns) => (all || backup.includedNamespaces.includes(ns)) && !backup.excludedNamespaces.includes(ns),
  );
}

/** Newest first, by the time their data is from; names break ties so the order is stable. */
export function newestFirst(backups: readonly BackupInfo[]): BackupInfo[] {
  return [...backups].sort((a, b) => dataTime(b) - dataTime(a) || b.name.localeCompare(a.name));
}

/** The newest good backup of each schedule (on-demand backups have none). */
export function newestGoodBySchedule(backups: readonly BackupInfo[], now: number): Map<string, BackupInfo> {
  const newest = new Map<string, BackupInfo>();
  for (const b of newestFirst(backups))
    if (b.schedule && isGoodBackup(b, now) && !newest.has(b.schedule)) newest.set(b.schedule, b);
  return newest;
}

/** The newest good backup holding each namespace; namespaces no good backup holds are absent. */
export function newestGoodByNamespace(
  backups: readonly BackupInfo[],
  namespaces: readonly string[],
  now: number,
): Map<string, BackupInfo> {
  const newest = new Map<string, BackupInfo>();
  const good = newestFirst(backups).filter((b) => isGoodBackup(b, now));
  for (const ns of namespaces) {
    const found = good.find((b) => coversNamespaces(b, [ns]));
    if (found) newest.set(ns, found);
  }
  return newest;
}

export interface RestorePointRequest {
  /** "newest", or the name of a chosen backup (the newest may be the bad one: ransomware, a human error). */
  backup: string;
  schedule?: string;
  namespaces: readonly string[];
  now: number;
}

export type RestorePoint = { ok: true; backup: BackupInfo; why: string } | { ok: false; evidence: string };

/**
 * Picks the backup a restore should use, or says plainly why there is none: no backup at all, the
 * chosen one missing, not Completed, expired, or not holding the namespaces to restore.
 */
export function chooseRestorePoint(
  backups: readonly BackupInfo[],
  request: RestorePointRequest,
): RestorePoint {
  const { now, namespaces } = request;
  const nsText = namespaces.length > 0 ? namespaces.join(", ") : "all namespaces";
  if (request.backup !== "newest") {
    const chosen = backups.find((b) => b.name === request.backup);
    if (!chosen) return { ok: false, evidence: `the chosen backup ${request.backup} does not exist` };
    const problem = backupProblem(chosen, namespaces, now);
    if (problem) return { ok: false, evidence: `the chosen backup ${chosen.name} ${problem}` };
    return { ok: true, backup: chosen, why: `chosen backup, data from ${iso(dataTime(chosen))}` };
  }
  const ofSchedule = request.schedule ? backups.filter((b) => b.schedule === request.schedule) : backups;
  const where = request.schedule ? ` of schedule ${request.schedule}` : "";
  if (ofSchedule.length === 0) return { ok: false, evidence: `there is no backup${where} at all` };
  const candidates = newestFirst(ofSchedule);
  const found = candidates.find((b) => isGoodBackup(b, now) && coversNamespaces(b, namespaces));
  if (found)
    return {
      ok: true,
      backup: found,
      why: `newest good backup${where}, data from ${iso(dataTime(found))} (${formatMs(now - dataTime(found))} old)`,
    };
  const newest = candidates[0]!;
  return {
    ok: false,
    evidence: `no good backup${where} holds ${nsText}: ${candidates.length} backup(s), the newest, ${newest.name}, ${backupProblem(newest, namespaces, now) ?? "does not qualify"}`,
  };
}

function backupProblem(backup: BackupInfo, namespaces: readonly string[], now: number): string | undefined {
  if (backup.phase !== "Completed")
    return `is ${backup.phase || "New"}${backup.errors > 0 ? ` with ${backup.errors} error(s)` : ""}, not Completed`;
  if (isExpired(backup, now))
    return `expired at ${iso(backup.expiresAt!)} (${formatMs(now - backup.expiresAt!)} ago); its data may already be deleted`;
  if (!coversNamespaces(backup, namespaces))
    return `does not hold ${namespaces.filter((ns) => !coversNamespaces(backup, [ns])).join(", ")} (it holds ${backup.includedNamespaces.join(", ") || "all namespaces"})`;
  return undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
