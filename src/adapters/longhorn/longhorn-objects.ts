import { z } from "zod";
import { redact } from "../../domain/redact.js";
import type {
  BackupTargetState,
  LonghornBackup,
  LonghornVolume,
  RecurringBackupJob,
  VolumeCondition,
} from "../../ports/longhorn.js";

/**
 * Longhorn's objects as the API server returns them, parsed leniently: every field drbot reads is
 * optional (a volume Longhorn has not reconciled yet has no status), unknown fields are kept out.
 * Field names and meanings follow longhorn-manager's k8s/pkg/apis/longhorn/v1beta2 types; note the
 * capital S in `spec.Standby`, which is how Longhorn spells it.
 */
export const LONGHORN_GROUP = "longhorn.io";
export const LONGHORN_VERSION = "v1beta2";

/** Label keys Longhorn puts on backups, backup volumes and DR volumes (types.LonghornLabel*). */
export const BACKUP_VOLUME_LABEL = "backup-volume";
export const BACKUP_TARGET_LABEL = "backup-target";
const RECURRING_JOB_PREFIX = "recurring-job.longhorn.io/";
const RECURRING_GROUP_PREFIX = "recurring-job-group.longhorn.io/";
export const DEFAULT_BACKUP_TARGET = "default";

const text = z.string().nullish();
const flag = z.boolean().nullish();
const metadata = z.object({
  name: z.string(),
  namespace: text,
  resourceVersion: text,
  labels: z.record(z.string(), z.string()).nullish(),
});
const condition = z.object({ type: text, status: text, reason: text, message: text });

export const volumeObject = z.object({
  metadata,
  spec: z
    .object({
      Standby: flag,
      frontend: text,
      dataEngine: text,
      fromBackup: text,
      backupTargetName: text,
      size: text,
      numberOfReplicas: z.number().nullish(),
    })
    .nullish(),
  status: z
    .object({
      isStandby: flag,
      restoreRequired: flag,
      restoreInitiated: flag,
      state: text,
      robustness: text,
      lastBackup: text,
      lastBackupAt: text,
      conditions: z.array(condition).nullish(),
    })
    .nullish(),
});

export const backupObject = z.object({
  metadata,
  spec: z.object({ snapshotName: text }).nullish(),
  status: z
    .object({
      state: text,
      backupCreatedAt: text,
      snapshotCreatedAt: text,
      volumeName: text,
      backupTargetName: text,
      error: text,
      url: text,
      volumeSize: text,
    })
    .nullish(),
});

export const backupVolumeObject = z.object({
  metadata,
  spec: z.object({ backupTargetName: text, volumeName: text }).nullish(),
  status: z.object({ lastBackupName: text, lastBackupAt: text, lastSyncedAt: text }).nullish(),
});

export const backupTargetObject = z.object({
  metadata,
  status: z.object({ available: flag, conditions: z.array(condition).nullish() }).nullish(),
});

export const recurringJobObject = z.object({
  metadata,
  spec: z
    .object({
      name: text,
      task: text,
      cron: text,
      groups: z.array(z.string()).nullish(),
    })
    .nullish(),
});

export type BackupObject = z.output<typeof backupObject>;
export type BackupVolumeObject = z.output<typeof backupVolumeObject>;

/** Parses a list response's items with `schema`; an item that does not parse is an error, not skipped. */
export function parseItems<T>(schema: z.ZodType<T>, list: unknown, what: string): T[] {
  const items = z.object({ items: z.array(z.unknown()) }).safeParse(list);
  if (!items.success) throw new Error(`unexpected answer listing ${what}: no items`);
  return items.data.items.map((item) => parseObject(schema, item, what));
}

export function parseObject<T>(schema: z.ZodType<T>, object: unknown, what: string): T {
  const parsed = schema.safeParse(object);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`unexpected ${what}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
}

/** Longhorn writes times as RFC 3339 strings; anything unreadable counts as no time at all. */
export function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

export function toVolume(object: z.output<typeof volumeObject>): LonghornVolume {
  const { metadata: m, spec, status } = object;
  const restoreRequired = status?.restoreRequired ?? false;
  // Same rule as longhorn-manager's ReconcileBackupVolumeState: a DR or restoring volume follows the
  // backup volume named by its label; any other volume backs up under its own name.
  const labelled = m.labels?.[BACKUP_VOLUME_LABEL];
  const followsLabel = restoreRequired || (spec?.Standby ?? false) || (status?.isStandby ?? false);
  return {
    name: m.name,
    namespace: m.namespace ?? "",
    specStandby: spec?.Standby ?? false,
    isStandby: status?.isStandby ?? false,
    restoreRequired,
    restoreInitiated: status?.restoreInitiated ?? false,
    state: status?.state ?? "",
    robustness: status?.robustness ?? "",
    frontend: spec?.frontend ?? "",
    dataEngine: spec?.dataEngine ?? "",
    size: spec?.size ?? "",
    numberOfReplicas: spec?.numberOfReplicas ?? undefined,
    fromBackup: spec?.fromBackup ?? "",
    backupTargetName: spec?.backupTargetName || DEFAULT_BACKUP_TARGET,
    backupVolume: followsLabel && labelled ? labelled : m.name,
    lastBackup: status?.lastBackup || undefined,
    lastBackupAt: parseTime(status?.lastBackupAt),
    conditions: (status?.conditions ?? []).map(
      (c): VolumeCondition => ({
        type: c.type ?? "",
        status: c.status ?? "",
        reason: c.reason ?? "",
        message: redact(c.message ?? ""),
      }),
    ),
    resourceVersion: m.resourceVersion ?? "",
  };
}

export function toBackupTarget(object: z.output<typeof backupTargetObject>): BackupTargetState {
  const failing = (object.status?.conditions ?? []).find((c) => c.message);
  return {
    name: object.metadata.name,
    available: object.status?.available ?? undefined,
    // Longhorn quotes the target's URL in its messages; a URL can carry credentials.
    message: failing?.message ? redact(failing.message) : undefined,
  };
}

/**
 * Recurring backup jobs that apply to a volume, by Longhorn's rules: a job applies through the
 * volume's `recurring-job.longhorn.io/<job>` label or a `recurring-job-group.longhorn.io/<group>`
 * label naming one of its groups; a volume with neither kind of label is in the `default` group.
 */
export function backupJobsFor(
  volumeLabels: Readonly<Record<string, string>>,
  jobs: readonly z.output<typeof recurringJobObject>[],
): RecurringBackupJob[] {
  const enabled = (key: string) => volumeLabels[key] === "enabled";
  const hasOwnLabels = Object.keys(volumeLabels).some(
    (k) => k.startsWith(RECURRING_JOB_PREFIX) || k.startsWith(RECURRING_GROUP_PREFIX),
  );
  const groups = new Set(
    Object.keys(volumeLabels)
      .filter((k) => k.startsWith(RECURRING_GROUP_PREFIX) && enabled(k))
      .map((k) => k.slice(RECURRING_GROUP_PREFIX.length)),
  );
  if (!hasOwnLabels) groups.add("default");
  return jobs
    .filter((j) => j.spec?.task === "backup" || j.spec?.task === "backup-force-create")
    .filter(
      (j) =>
        enabled(`${RECURRING_JOB_PREFIX}${j.metadata.name}`) ||
        (j.spec?.groups ?? []).some((g) => groups.has(g)),
    )
    .map((j) => ({ name: j.metadata.name, task: j.spec?.task ?? "", cron: j.spec?.cron ?? "" }));
}

/** A backup's completion time: when its upload finished, else when its snapshot was taken. */
export function backupTime(backup: BackupObject): number | undefined {
  return parseTime(backup.status?.backupCreatedAt) ?? parseTime(backup.status?.snapshotCreatedAt);
}

export function toBackup(object: BackupObject): LonghornBackup {
  const status = object.status;
  return {
    name: object.metadata.name,
    state: status?.state ?? "",
    error: status?.error ? redact(status.error) : undefined,
    at: backupTime(object),
    url: status?.url ?? "",
    backupVolume: object.metadata.labels?.[BACKUP_VOLUME_LABEL] ?? status?.volumeName ?? "",
    volumeSize: status?.volumeSize ?? "",
  };
}
