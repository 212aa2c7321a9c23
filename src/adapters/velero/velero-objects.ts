import type { BackupInfo, BackupPhase, RestoreInfo, RestorePhase } from "../../domain/velero.js";
import type { ScheduleInfo, StorageLocationInfo } from "../../ports/velero.js";
import { ACCESS_BEFORE_RUN, ACCESS_CHANGED_BY_RUN, VELERO_SCHEDULE_LABEL } from "../../ports/velero.js";

/**
 * Velero objects as the API server returns them (velero.io/v1, no status subresource), read
 * defensively: custom objects are untyped JSON, and a field Velero has not set yet must not crash
 * a failover.
 */
interface VeleroObject {
  metadata?: {
    name?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function backupInfo(raw: unknown): BackupInfo {
  const o = raw as VeleroObject;
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const labels = o.metadata?.labels ?? {};
  const info: BackupInfo = {
    name: o.metadata?.name ?? "",
    phase: str(status.phase) as BackupPhase | "",
    includedNamespaces: strings(spec.includedNamespaces),
    excludedNamespaces: strings(spec.excludedNamespaces),
    createdAt: time(o.metadata?.creationTimestamp) ?? 0,
    warnings: int(status.warnings),
    errors: int(status.errors),
    validationErrors: strings(status.validationErrors),
    labels,
  };
  const schedule = labels[VELERO_SCHEDULE_LABEL];
  if (schedule) info.schedule = schedule;
  setTime(info, "startedAt", status.startTimestamp);
  setTime(info, "completedAt", status.completionTimestamp);
  setTime(info, "expiresAt", status.expiration);
  if (str(status.failureReason)) info.failureReason = str(status.failureReason);
  if (str(spec.storageLocation)) info.storageLocation = str(spec.storageLocation);
  return info;
}

export function restoreInfo(raw: unknown): RestoreInfo {
  const o = raw as VeleroObject;
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const progress = (status.progress ?? {}) as Record<string, unknown>;
  const info: RestoreInfo = {
    name: o.metadata?.name ?? "",
    backupName: str(spec.backupName),
    phase: str(status.phase) as RestorePhase | "",
    includedNamespaces: strings(spec.includedNamespaces),
    namespaceMapping: stringMap(spec.namespaceMapping),
    createdAt: time(o.metadata?.creationTimestamp) ?? 0,
    warnings: int(status.warnings),
    errors: int(status.errors),
    validationErrors: strings(status.validationErrors),
    labels: o.metadata?.labels ?? {},
  };
  if (str(spec.scheduleName)) info.scheduleName = str(spec.scheduleName);
  if (str(spec.existingResourcePolicy)) info.existingResourcePolicy = str(spec.existingResourcePolicy);
  if (strings(spec.excludedResources).length > 0) info.excludedResources = strings(spec.excludedResources);
  setTime(info, "startedAt", status.startTimestamp);
  setTime(info, "completedAt", status.completionTimestamp);
  if (str(status.failureReason)) info.failureReason = str(status.failureReason);
  if (typeof progress.itemsRestored === "number") info.itemsRestored = progress.itemsRestored;
  if (typeof progress.totalItems === "number") info.totalItems = progress.totalItems;
  return info;
}

export function scheduleInfo(raw: unknown): ScheduleInfo {
  const o = raw as VeleroObject;
  const spec = o.spec ?? {};
  const template = (spec.template ?? {}) as Record<string, unknown>;
  const info: ScheduleInfo = {
    name: o.metadata?.name ?? "",
    cron: str(spec.schedule),
    paused: spec.paused === true,
    phase: str(o.status?.phase),
    includedNamespaces: strings(template.includedNamespaces),
  };
  setTime(info, "lastBackupAt", o.status?.lastBackup);
  return info;
}

export function storageLocationInfo(raw: unknown): StorageLocationInfo {
  const o = raw as VeleroObject;
  const status = o.status ?? {};
  const info: StorageLocationInfo = {
    name: o.metadata?.name ?? "",
    phase: str(status.phase),
    isDefault: o.spec?.default === true,
  };
  if (str(o.spec?.accessMode) || str(status.accessMode))
    info.accessMode = str(o.spec?.accessMode) || str(status.accessMode);
  if (str(status.message)) info.message = str(status.message);
  const marks = o.metadata?.annotations ?? {};
  const runId = marks[ACCESS_CHANGED_BY_RUN];
  if (runId) info.changedByRun = { runId, before: marks[ACCESS_BEFORE_RUN] ?? "ReadWrite" };
  setTime(info, "lastSyncedAt", status.lastSyncedTime);
  return info;
}

/** The signed URL of a DownloadRequest Velero has processed; undefined until then. */
export function downloadUrlOf(raw: unknown): string | undefined {
  const status = (raw as VeleroObject | undefined)?.status ?? {};
  return status.phase === "Processed" && str(status.downloadURL) ? str(status.downloadURL) : undefined;
}

/** Velero's TTL is a Go duration ("720h0m0s"). */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(total / 3600)}h${Math.floor((total % 3600) / 60)}m${total % 60}s`;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function int(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object") return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

function time(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function setTime<T extends object>(target: T, key: keyof T & string, value: unknown): void {
  const ms = time(value);
  if (ms !== undefined) (target as Record<string, unknown>)[key] = ms;
}
