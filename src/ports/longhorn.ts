import { DrError } from "../domain/errors.js";
import type { RequestOptions } from "./site.js";

/**
 * Longhorn on one site as drbot sees it: plain data read from Longhorn's own objects (longhorn.io
 * v1beta2 Volume, Backup, BackupVolume, BackupTarget, RecurringJob), no client library. The adapter
 * is src/adapters/longhorn.
 *
 * Contract for every method:
 * - Each request has the site's deadline; a caller signal cuts it shorter.
 * - Longhorn not installed on the site (its API group is not served) throws a DrError for which
 *   `isLonghornNotInstalled` is true, so status can say so for that site instead of failing.
 * - Other failures are DrError naming the site and what was being done (like SitePort).
 */
export interface LonghornPort {
  readonly site: string;
  /** The volume, or undefined when there is no such volume (Longhorn being installed). */
  readVolume(namespace: string, name: string, options?: RequestOptions): Promise<LonghornVolume | undefined>;
  /** For each volume named, its newest good backup and what protects it. */
  backupStatus(
    namespace: string,
    volumes: readonly string[],
    options?: RequestOptions,
  ): Promise<VolumeBackupStatus[]>;
  /**
   * Activates a DR (standby) volume the way Longhorn's own activate action does: asks the backup
   * volume to sync, so the last backup is restored first, then sets the volume active. Guarded by
   * the resourceVersion read with `volume`: a volume changed since fails with `conflict`. Returns at
   * once; Longhorn finishes the activation in the background (see `readVolume`).
   */
  activate(volume: LonghornVolume, options?: RequestOptions): Promise<void>;
  /**
   * Backs a volume up the way Longhorn's snapshotBackup action does: a Snapshot named `name`, then
   * a Backup of it (same name) to the volume's backup target and backup volume. Idempotent by name:
   * what already exists is left as it is. Returns at once; Longhorn uploads in the background (see
   * `readBackup`).
   */
  backUp(volume: LonghornVolume, name: string, options?: RequestOptions): Promise<void>;
  /** The backup, or undefined when there is none of that name. */
  readBackup(namespace: string, name: string, options?: RequestOptions): Promise<LonghornBackup | undefined>;
  /**
   * Deletes a volume, guarded by the resourceVersion read with it (a volume changed since fails with
   * `conflict`). Longhorn cannot turn an active volume back into a DR volume: its documented reversal
   * deletes it and creates a DR volume of the same name from the other site's backup.
   */
  deleteVolume(volume: LonghornVolume, options?: RequestOptions): Promise<void>;
  /** Creates a DR (standby) volume that restores `fromBackup`, then follows its backup volume. */
  createStandby(standby: StandbyVolume, options?: RequestOptions): Promise<void>;
}

/** A Longhorn Backup as drbot reads it. */
export interface LonghornBackup {
  name: string;
  /** "", Pending, InProgress, Completed, Error, Unknown. */
  state: string;
  error: string | undefined;
  at: number | undefined;
  /** status.url: what a DR volume's fromBackup names. */
  url: string;
  backupVolume: string;
  /** status.volumeSize, in bytes as Longhorn writes it. */
  volumeSize: string;
}

/** The DR volume to create: what Longhorn's own "create DR volume from backup" sets. */
export interface StandbyVolume {
  namespace: string;
  name: string;
  backupVolume: string;
  backupTargetName: string;
  /** The backup URL the volume restores first, then follows its backup volume from. */
  fromBackup: string;
  size: string;
  numberOfReplicas: number;
  dataEngine: string;
}

export interface LonghornVolume {
  name: string;
  namespace: string;
  /** spec.Standby: the volume is asked to stay a DR volume. */
  specStandby: boolean;
  /** status.isStandby: Longhorn still treats it as a DR volume (activation not finished). */
  isStandby: boolean;
  restoreRequired: boolean;
  restoreInitiated: boolean;
  /** creating, attached, detached, attaching, detaching, deleting (or empty before the first sync). */
  state: string;
  /** healthy, degraded, faulted, unknown (or empty). */
  robustness: string;
  frontend: string;
  dataEngine: string;
  /** spec.size, in bytes as Longhorn writes it (a string). */
  size: string;
  numberOfReplicas: number | undefined;
  fromBackup: string;
  backupTargetName: string;
  /** The backup volume the volume restores from (its backup-volume label) or backs up to (its name). */
  backupVolume: string;
  /** status.lastBackup / lastBackupAt: the newest backup Longhorn knows for that backup volume. */
  lastBackup: string | undefined;
  lastBackupAt: number | undefined;
  conditions: VolumeCondition[];
  resourceVersion: string;
}

export interface VolumeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface BackupTargetState {
  name: string;
  /** status.available; undefined when Longhorn has not reported yet. */
  available: boolean | undefined;
  /** Why it is unavailable, from its conditions. */
  message: string | undefined;
}

export interface RecurringBackupJob {
  name: string;
  task: string;
  cron: string;
}

export interface VolumeBackupStatus {
  volume: string;
  backupVolume: string;
  /** The Volume object exists on this site (a backup volume can exist without it). */
  volumeFound: boolean;
  /** The newest Completed backup, from Backup objects or the BackupVolume's lastBackupAt. */
  newest: { name: string; at: number } | undefined;
  completed: number;
  /** Backups in state Error or Unknown: never counted as good copies. */
  failed: number;
  inProgress: number;
  /** Recurring jobs of task backup (or backup-force-create) that cover the volume. */
  recurringJobs: RecurringBackupJob[];
  target: BackupTargetState | undefined;
}

const NOT_INSTALLED = "longhorn_not_installed";

/** Longhorn's API group is not served on the site: the CRDs are not installed. */
export function longhornNotInstalled(site: string, operation: string): DrError {
  return new DrError(
    "not_found",
    `site ${site}: Longhorn is not installed (the longhorn.io/v1beta2 API is not served) while trying to ${operation}`,
    { reason: "not_found", site, operation, cause: NOT_INSTALLED },
  );
}

export function isLonghornNotInstalled(error: unknown): boolean {
  return error instanceof DrError && error.details.cause === NOT_INSTALLED;
}

/** What Longhorn step kinds and RPO readers need from the process: Longhorn by site name. */
export interface LonghornServices {
  site(name: string): LonghornPort;
}
