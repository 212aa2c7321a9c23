import { DrError } from "../domain/errors.js";
import type { ResourceModifierRule } from "../domain/restore-test.js";
import type { FoundGroup } from "../domain/restore-verification.js";
import type { BackupInfo, ExistingResourcePolicy, RestoreInfo, RestoreResults } from "../domain/velero.js";
import type { RequestOptions } from "./site.js";

/**
 * Velero on one site, through its CRDs (velero.io/v1), as plain data. The adapter is
 * src/adapters/velero; the data (backups, restores, phases) is in src/domain/velero.ts and the
 * selection rules (newest good backup, expiry, verdicts) are pure, in src/domain/restore-point.ts and
 * src/domain/velero-phases.ts.
 *
 * Contract for every method:
 * - Each API request has the site's deadline; an optional caller signal cuts it shorter.
 * - Failures are DrError naming the site and what was being done. When the velero.io/v1 API is not
 *   served (the CRDs are absent) the error says Velero is not installed: `isVeleroNotInstalled`.
 * - Times are epoch milliseconds.
 */

export interface ScheduleInfo {
  name: string;
  cron: string;
  paused: boolean;
  phase: string;
  lastBackupAt?: number;
  /** Namespaces of the schedule's backup template; empty means all. */
  includedNamespaces: string[];
}

export type StorageAccessMode = "ReadOnly" | "ReadWrite";

export interface StorageLocationInfo {
  name: string;
  phase: string;
  isDefault: boolean;
  accessMode?: string;
  lastSyncedAt?: number;
  message?: string;
  /** The run that changed its access mode and the mode it had before, when drbot marked it so. */
  changedByRun?: { runId: string; before: string };
}

export interface NewBackup {
  name: string;
  includedNamespaces: string[];
  ttlMs: number;
  labels: Record<string, string>;
}

export interface NewRestore {
  name: string;
  backupName: string;
  includedNamespaces: string[];
  /** Restore namespace A into B (Velero's namespaceMapping), for restore tests beside production. */
  namespaceMapping?: Record<string, string>;
  /** Always given: Velero's implicit default is not a decision anybody made. */
  existingResourcePolicy: ExistingResourcePolicy;
  /** Resources of the backup not to restore ("pods", "replicasets.apps"); empty restores them all. */
  excludedResources?: string[];
  /**
   * Changes Velero makes to each object before creating it (its resource modifiers): kept in a
   * ConfigMap of the restore's name in Velero's namespace, labelled like the restore, made before
   * the Restore that names it. `deleteRestoreModifiers` removes it once the restore is over.
   */
  resourceModifiers?: ResourceModifierRule[];
  /** false: no cluster-scoped object is restored (a sandbox leaves nothing outside its namespaces). */
  includeClusterResources?: boolean;
  labels: Record<string, string>;
}

export interface VeleroPort {
  readonly site: string;
  /** The namespace Velero's objects live in (usually "velero"). */
  readonly namespace: string;
  listBackups(options?: RequestOptions & { labelSelector?: string }): Promise<BackupInfo[]>;
  getBackup(name: string, options?: RequestOptions): Promise<BackupInfo | undefined>;
  listSchedules(options?: RequestOptions): Promise<ScheduleInfo[]>;
  listStorageLocations(options?: RequestOptions): Promise<StorageLocationInfo[]>;
  listRestores(options?: RequestOptions & { labelSelector?: string }): Promise<RestoreInfo[]>;
  getRestore(name: string, options?: RequestOptions): Promise<RestoreInfo | undefined>;
  /** Creates the Backup; when one of that name exists already it is returned as it is (idempotent). */
  createBackup(backup: NewBackup, options?: RequestOptions): Promise<BackupInfo>;
  /**
   * Sets a storage location ReadOnly or ReadWrite (idempotent). Read-only, Velero neither writes
   * backups there nor deletes expired ones: a DR site's location, and the primary's once it has
   * lost the role. Throws DrError (not_found) when the site's Velero has no such location. With
   * `byRun`, the location is marked (ACCESS_CHANGED_BY_RUN, ACCESS_BEFORE_RUN annotations) in the
   * same write with the run that changed it and the mode it had, so that run's undo puts back that
   * mode and nothing else; without it, the marks are removed.
   */
  setStorageLocationAccess(
    name: string,
    accessMode: StorageAccessMode,
    options?: RequestOptions & { byRun?: { runId: string; before: string } },
  ): Promise<StorageLocationInfo>;
  /** Creates the Restore; when one of that name exists already it is returned as it is (idempotent). */
  createRestore(restore: NewRestore, options?: RequestOptions): Promise<RestoreInfo>;
  /**
   * Velero's errors and warnings for a finished restore, as `velero restore describe` gets them: a
   * DownloadRequest that the site's Velero server answers with a signed URL into the storage
   * location, which is then read (so drbot must reach the object store's endpoint, as the velero CLI
   * must). Undefined when Velero has no results for it (a restore that never ran). Throws DrError
   * (timeout) when no Velero server answers before the deadline: the site's Velero is down.
   */
  restoreResults(name: string, options?: RequestOptions): Promise<RestoreResults | undefined>;
  /**
   * What a backup holds, by type ("apps/v1/Deployment" → ["production/payments-api"]), read like
   * restoreResults through a DownloadRequest. Undefined when the store has no list for it.
   */
  backupResourceList(name: string, options?: RequestOptions): Promise<Record<string, string[]> | undefined>;
  /** Deletes the resource modifiers of a restore (its ConfigMap); false when there were none. Idempotent. */
  deleteRestoreModifiers(restoreName: string, options?: RequestOptions): Promise<boolean>;
  /** Which resource serves a kind on the site ("deployments"), by discovery; undefined when none does. */
  resourceOf(
    apiVersion: string,
    kind: string,
    options?: RequestOptions,
  ): Promise<{ resource: string; namespaced: boolean } | undefined>;
  /**
   * The names of the objects of a type in a namespace of the site (what a restore brought back),
   * with the type's resource name; undefined when the site does not serve the type.
   */
  listNamespaced(
    namespace: string,
    apiVersion: string,
    kind: string,
    options?: RequestOptions,
  ): Promise<FoundGroup | undefined>;
}

/** Velero per site: the step kinds and the RPO reader ask for a site and Velero's namespace. */
export interface VeleroServices {
  velero(site: string, namespace?: string): VeleroPort;
}

export const VELERO_SCHEDULE_LABEL = "velero.io/schedule-name";
export const STEP_LABEL = "drbot.io/step";
export const ATTEMPT_LABEL = "drbot.io/attempt";
/** On a storage location a run changed: the run's id, and the access mode it had before. */
export const ACCESS_CHANGED_BY_RUN = "drbot.io/access-mode-changed-by-run";
export const ACCESS_BEFORE_RUN = "drbot.io/access-mode-before-run";

export function veleroNotInstalled(site: string, operation: string): DrError {
  return new DrError(
    "unavailable",
    `site ${site}: could not ${operation}: Velero is not installed (the velero.io/v1 API is not served)`,
    { reason: "not_installed", site, operation },
  );
}

export function isVeleroNotInstalled(error: unknown): boolean {
  return error instanceof DrError && error.details.reason === "not_installed";
}
