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

export interface RestoreInfo {
  name: string;
  backupName: string;
  scheduleName?: string;
  phase: RestorePhase | "";
  includedNamespaces: string[];
  namespaceMapping: Record<string, string>;
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
