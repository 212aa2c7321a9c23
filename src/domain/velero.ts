/**
 * Velero's Backup and Restore objects (velero.io/v1) as plain data, with their phases. The pure rules
 * on them are in restore-point.ts (which backup to restore) and velero-phases.ts (what a phase means
 * for a step); the port that reads them is src/ports/velero.ts.
 */
export type BackupPhase =
  | "New"
  | "Queued"
  | "ReadyToStart"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed"
  | "Deleting";

export type RestorePhase =
  | "New"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed";

export interface BackupInfo {
  name: string;
  /** The schedule that made it (label velero.io/schedule-name); absent for on-demand backups. */
  schedule?: string;
  /** Empty until Velero has looked at it. */
  phase: BackupPhase | "";
  /** Namespaces it covers; empty or "*" means all. */
  includedNamespaces: string[];
  excludedNamespaces: string[];
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  expiresAt?: number;
  warnings: number;
  errors: number;
  failureReason?: string;
  validationErrors: string[];
  storageLocation?: string;
  labels: Record<string, string>;
}

/**
 * What a Restore does with an object that already exists on the site and differs from the backup:
 * "none" keeps the site's copy (Velero warns about it), "update" patches it to the backed-up version.
 */
export type ExistingResourcePolicy = "none" | "update";

export interface RestoreInfo {
  name: string;
  backupName: string;
  scheduleName?: string;
  phase: RestorePhase | "";
  includedNamespaces: string[];
  namespaceMapping: Record<string, string>;
  /** As the Restore asked; absent means Velero's default (keep existing objects, warn). */
  existingResourcePolicy?: string;
  /** Resources the Restore left out ("pods", "replicasets.apps"). */
  excludedResources?: string[];
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  warnings: number;
  errors: number;
  failureReason?: string;
  validationErrors: string[];
  itemsRestored?: number;
  totalItems?: number;
  labels: Record<string, string>;
}

/** Messages Velero recorded for a restore, where they apply (Velero's results.Result). */
export interface VeleroMessages {
  /** About Velero itself: reading the backup, the storage location, plugins. */
  velero: string[];
  /** About cluster-scoped objects. */
  cluster: string[];
  /** By namespace, about the objects in it. */
  namespaces: Record<string, string[]>;
}

/** Velero's own errors and warnings for one restore (what `velero restore describe` prints). */
export interface RestoreResults {
  errors: VeleroMessages;
  warnings: VeleroMessages;
}
