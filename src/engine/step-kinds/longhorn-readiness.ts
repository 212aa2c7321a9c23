import type { LonghornVolume, VolumeBackupStatus } from "../../ports/longhorn.js";

/**
 * Where a Longhorn volume stands on the way from DR (standby) to active, read from the fields
 * longhorn-manager itself uses (VolumeManager.Activate and the volume controller's
 * checkAndFinishVolumeRestore):
 * - standby: spec.Standby and status.isStandby both true; it restores each new backup as it lands.
 * - activating: spec.Standby was set false, Longhorn has not finished (isStandby still true): it
 *   restores the newest backup first, then clears isStandby and restoreRequired.
 * - active: neither; the volume can be attached and written.
 * - not_ready: spec.Standby true but Longhorn has not made it a DR volume yet (restore not started).
 */
export type VolumePhase = "standby" | "activating" | "active" | "not_ready";

export function volumePhase(v: LonghornVolume): VolumePhase {
  if (v.specStandby) return v.isStandby ? "standby" : "not_ready";
  return v.isStandby || v.restoreRequired ? "activating" : "active";
}

export interface ReadinessRules {
  /** Accept a degraded volume (fewer healthy replicas than asked) as usable. Off by default. */
  allowDegraded: boolean;
}

function healthy(v: LonghornVolume, rules: ReadinessRules): boolean {
  return v.robustness === "healthy" || (rules.allowDegraded && v.robustness === "degraded");
}

/**
 * Why a standby volume must not be activated now; empty when it may. Activation is one way (a DR
 * volume cannot go back to standby), so every reason is checked before any volume is touched.
 */
export function preflightProblems(
  v: LonghornVolume,
  backups: VolumeBackupStatus | undefined,
  rules: ReadinessRules,
): string[] {
  const problems: string[] = [];
  const phase = volumePhase(v);
  if (phase === "not_ready")
    problems.push(
      "is asked to be standby but Longhorn has not started restoring it (status.isStandby false)",
    );
  const backup = backups?.newest?.name ?? v.lastBackup;
  if (!backup)
    problems.push(
      `has no backup to restore from (backup volume ${v.backupVolume}: ${backups?.completed ?? 0} completed, ${backups?.failed ?? 0} failed)`,
    );
  if (phase === "standby" && !healthy(v, rules))
    problems.push(`is not healthy (state ${v.state || "unknown"}, robustness ${v.robustness || "unknown"})`);
  const restore = v.conditions.find((c) => c.type === "Restore" && c.reason === "RestoreFailure");
  if (restore) problems.push(`restore failed: ${restore.message || restore.reason}`);
  if (backups?.target?.available === false)
    problems.push(
      `backup target ${backups.target.name} is unavailable${backups.target.message ? ` (${backups.target.message})` : ""}: Longhorn cannot fetch the newest backup`,
    );
  return problems;
}

/** The volume finished activating and can serve: not standby any more, nothing left to restore, healthy. */
export function isActiveAndHealthy(v: LonghornVolume, rules: ReadinessRules): boolean {
  return volumePhase(v) === "active" && healthy(v, rules);
}

export function describeVolume(v: LonghornVolume): string {
  return (
    `${v.namespace}/${v.name}: spec.Standby=${v.specStandby} isStandby=${v.isStandby} ` +
    `restoreRequired=${v.restoreRequired} state=${v.state || "unknown"} robustness=${v.robustness || "unknown"}` +
    (v.lastBackup ? ` lastBackup=${v.lastBackup}` : "")
  );
}
