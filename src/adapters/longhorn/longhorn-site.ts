import * as k8s from "@kubernetes/client-node";
import type { ZodType } from "zod";
import type { SiteConfig } from "../../domain/config.js";
import { describeError } from "../../domain/errors.js";
import {
  type LonghornPort,
  type LonghornVolume,
  longhornNotInstalled,
  type StandbyVolume,
  type VolumeBackupStatus,
} from "../../ports/longhorn.js";
import type { RequestOptions } from "../../ports/site.js";
import { KubeError } from "../kubernetes/kube-error.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { withDeadline } from "../kubernetes/with-deadline.js";
import {
  BACKUP_TARGET_LABEL,
  BACKUP_VOLUME_LABEL,
  type BackupObject,
  type BackupVolumeObject,
  backupJobsFor,
  backupObject,
  backupTargetObject,
  backupTime,
  backupVolumeObject,
  DEFAULT_BACKUP_TARGET,
  LONGHORN_GROUP,
  LONGHORN_VERSION,
  parseItems,
  parseObject,
  parseTime,
  recurringJobObject,
  toBackup,
  toBackupTarget,
  toVolume,
  volumeObject,
} from "./longhorn-objects.js";

type Plural = "volumes" | "backups" | "backupvolumes" | "backuptargets" | "recurringjobs" | "snapshots";

/** Frontends Longhorn's webhook accepts on an active volume, per data engine (volume validator). */
const VALID_FRONTENDS: Record<string, readonly string[]> = {
  v1: ["blockdev", "iscsi"],
  v2: ["blockdev", "nvmf", "ublk"],
};

/**
 * Longhorn on one site through its CRDs (client-node CustomObjectsApi), never through the Longhorn
 * UI's HTTP API, which is not reachable from outside the cluster in most installations. Every
 * request carries the site's deadline (with-deadline.ts); errors are KubeError naming site and
 * action, or the "not installed" DrError of src/ports/longhorn.ts when the API group is not served.
 */
export class LonghornSite implements LonghornPort {
  readonly site: string;
  private readonly api: k8s.CustomObjectsApi;
  private readonly timeoutMs: number;

  /** Throws KubeError (invalid_config) when the kubeconfig or its context cannot be used. */
  constructor(site: SiteConfig, options: { kubeconfigPath?: string; timeoutMs?: number } = {}) {
    this.site = site.name;
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
    this.api = loadKubeConfig(site, options).makeApiClient(k8s.CustomObjectsApi);
  }

  async readVolume(
    namespace: string,
    name: string,
    options?: RequestOptions,
  ): Promise<LonghornVolume | undefined> {
    const found = await this.readVolumeObject(namespace, name, options);
    if (!found) return undefined;
    const { labels: _labels, ...volume } = found;
    return volume;
  }

  async backupStatus(
    namespace: string,
    volumes: readonly string[],
    options?: RequestOptions,
  ): Promise<VolumeBackupStatus[]> {
    const found = await Promise.all(
      volumes.map(async (name) => ({ name, volume: await this.readVolumeObject(namespace, name, options) })),
    );
    const backupVolumes = [...new Set(found.map((f) => f.volume?.backupVolume ?? f.name))];
    const selector = `${BACKUP_VOLUME_LABEL} in (${backupVolumes.join(",")})`;
    const [backups, bvs, targets, jobs] = await Promise.all([
      this.list("backups", namespace, options, backupObject, selector),
      this.list("backupvolumes", namespace, options, backupVolumeObject, selector),
      this.list("backuptargets", namespace, options, backupTargetObject),
      this.list("recurringjobs", namespace, options, recurringJobObject),
    ]);
    return found.map(({ name, volume }) => {
      const bv = volume?.backupVolume ?? name;
      const target = volume?.backupTargetName;
      const ofTarget = (labels: Record<string, string> | null | undefined) =>
        target === undefined || !labels?.[BACKUP_TARGET_LABEL] || labels[BACKUP_TARGET_LABEL] === target;
      const mine = backups.filter(
        (b) => b.metadata.labels?.[BACKUP_VOLUME_LABEL] === bv && ofTarget(b.metadata.labels),
      );
      const myBvs = bvs.filter(
        (v) => v.metadata.labels?.[BACKUP_VOLUME_LABEL] === bv && ofTarget(v.metadata.labels),
      );
      const targetState = targets
        .map(toBackupTarget)
        .find((t) => t.name === (target ?? DEFAULT_BACKUP_TARGET));
      return {
        volume: name,
        backupVolume: bv,
        volumeFound: volume !== undefined,
        newest: newestBackup(mine, myBvs),
        completed: mine.filter((b) => b.status?.state === "Completed").length,
        failed: mine.filter((b) => b.status?.state === "Error" || b.status?.state === "Unknown").length,
        inProgress: mine.filter((b) => b.status?.state === "InProgress" || b.status?.state === "Pending")
          .length,
        recurringJobs: volume ? backupJobsFor(volume.labels, jobs) : [],
        target: targetState,
      };
    });
  }

  /**
   * What Longhorn's own "activate" action does (longhorn-manager VolumeManager.Activate), done
   * through the CRDs because drbot talks to the API server, not to the Longhorn UI's HTTP API:
   *
   * 1. ask the volume's backup volume to sync (spec.syncRequestedAt = now), so Longhorn looks for a
   *    backup newer than the last one it restored; its volume controller then refuses to finish the
   *    activation until that sync happened and the newest backup is restored, which is exactly the
   *    data drbot wants on the DR side;
   * 2. set spec.Standby to false (and a frontend the webhook accepts, as the action's `frontend`
   *    argument does: blockdev unless the volume already has a valid one).
   *
   * Longhorn then flips status.isStandby and status.restoreRequired to false once the volume is
   * healthy. Step 2 is a merge patch carrying the resourceVersion that was read, so a volume changed
   * in between (someone activating it by hand, Longhorn updating it) fails with `conflict` and is
   * read again rather than overwritten.
   */
  async activate(volume: LonghornVolume, options?: RequestOptions): Promise<void> {
    const { namespace, name } = volume;
    const selector = `${BACKUP_VOLUME_LABEL}=${volume.backupVolume},${BACKUP_TARGET_LABEL}=${volume.backupTargetName}`;
    const bvs = await this.list("backupvolumes", namespace, options, backupVolumeObject, selector);
    // Longhorn skips the sync when the backup volume is gone, so as not to block activation (and
    // refuses when two match, which its own webhook prevents from happening).
    if (bvs.length === 1) {
      const bv = bvs[0]!;
      const syncRequestedAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      await this.request(`ask backup volume ${bv.metadata.name} to sync`, options, (o) =>
        this.api.patchNamespacedCustomObject(
          {
            ...this.on("backupvolumes", namespace),
            name: bv.metadata.name,
            body: { spec: { syncRequestedAt } },
          },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o),
        ),
      );
    }
    const engine = volume.dataEngine || "v1";
    const frontend = (VALID_FRONTENDS[engine] ?? []).includes(volume.frontend) ? volume.frontend : "blockdev";
    const body = {
      metadata: { resourceVersion: volume.resourceVersion },
      spec: { Standby: false, frontend },
    };
    await this.request(`activate Longhorn volume ${namespace}/${name}`, options, (o) =>
      this.api.patchNamespacedCustomObject(
        { ...this.on("volumes", namespace), name, body },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o),
      ),
    );
  }

  async backUp(volume: LonghornVolume, name: string, options?: RequestOptions): Promise<void> {
    const { namespace } = volume;
    const labels = {
      [BACKUP_VOLUME_LABEL]: volume.backupVolume,
      [BACKUP_TARGET_LABEL]: volume.backupTargetName,
    };
    await this.createUnlessExists(`snapshot Longhorn volume ${namespace}/${volume.name}`, options, (o) =>
      this.api.createNamespacedCustomObject(
        {
          ...this.on("snapshots", namespace),
          body: {
            apiVersion: `${LONGHORN_GROUP}/${LONGHORN_VERSION}`,
            kind: "Snapshot",
            metadata: { name, labels: { longhornvolume: volume.name } },
            spec: { volume: volume.name, createSnapshot: true },
          },
        },
        o,
      ),
    );
    await this.createUnlessExists(`back up Longhorn volume ${namespace}/${volume.name}`, options, (o) =>
      this.api.createNamespacedCustomObject(
        {
          ...this.on("backups", namespace),
          body: {
            apiVersion: `${LONGHORN_GROUP}/${LONGHORN_VERSION}`,
            kind: "Backup",
            metadata: { name, labels },
            spec: { snapshotName: name, labels: {} },
          },
        },
        o,
      ),
    );
  }

  async readBackup(namespace: string, name: string, options?: RequestOptions) {
    const what = `read Longhorn backup ${namespace}/${name}`;
    try {
      const object = await this.request(what, options, (o) =>
        this.api.getNamespacedCustomObject({ ...this.on("backups", namespace), name }, o),
      );
      return toBackup(this.parse(what, () => parseObject(backupObject, object, `backup ${name}`)));
    } catch (error) {
      if (!(error instanceof KubeError && error.reason === "not_found")) throw error;
      await this.requireInstalled(what, options);
      return undefined;
    }
  }

  /** Deletes the volume, guarded by the resourceVersion read with it: a volume changed since stays. */
  async deleteVolume(volume: LonghornVolume, options?: RequestOptions): Promise<void> {
    const { namespace, name, resourceVersion } = volume;
    await this.request(`delete Longhorn volume ${namespace}/${name}`, options, (o) =>
      this.api.deleteNamespacedCustomObject(
        { ...this.on("volumes", namespace), name, body: { preconditions: { resourceVersion } } },
        o,
      ),
    );
  }

  async createStandby(standby: StandbyVolume, options?: RequestOptions): Promise<void> {
    const { namespace, name } = standby;
    await this.request(`create Longhorn DR volume ${namespace}/${name}`, options, (o) =>
      this.api.createNamespacedCustomObject(
        {
          ...this.on("volumes", namespace),
          body: {
            apiVersion: `${LONGHORN_GROUP}/${LONGHORN_VERSION}`,
            kind: "Volume",
            metadata: {
              name,
              labels: {
                [BACKUP_VOLUME_LABEL]: standby.backupVolume,
                [BACKUP_TARGET_LABEL]: standby.backupTargetName,
              },
            },
            spec: {
              Standby: true,
              frontend: "",
              fromBackup: standby.fromBackup,
              backupTargetName: standby.backupTargetName,
              size: standby.size,
              numberOfReplicas: standby.numberOfReplicas,
              dataEngine: standby.dataEngine,
            },
          },
        },
        o,
      ),
    );
  }

  private async createUnlessExists(
    what: string,
    options: RequestOptions | undefined,
    send: (o: k8s.ConfigurationOptions, signal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.request(what, options, send);
    } catch (error) {
      // 409 on a create is AlreadyExists: the same name was created by an earlier attempt.
      if (!(error instanceof KubeError && error.reason === "conflict")) throw error;
    }
  }

  private async readVolumeObject(namespace: string, name: string, options?: RequestOptions) {
    const what = `read Longhorn volume ${namespace}/${name}`;
    try {
      const object = await this.request(what, options, (o) =>
        this.api.getNamespacedCustomObject({ ...this.on("volumes", namespace), name }, o),
      );
      const parsed = this.parse(what, () => parseObject(volumeObject, object, `volume ${namespace}/${name}`));
      return { ...toVolume(parsed), labels: parsed.metadata.labels ?? {} };
    } catch (error) {
      if (!(error instanceof KubeError && error.reason === "not_found")) throw error;
      await this.requireInstalled(what, options);
      return undefined;
    }
  }

  private async list<T>(
    plural: Plural,
    namespace: string,
    options: RequestOptions | undefined,
    schema: ZodType<T>,
    labelSelector?: string,
  ): Promise<T[]> {
    const what = `list Longhorn ${plural} in ${namespace}`;
    try {
      const list = await this.request(what, options, (o) =>
        this.api.listNamespacedCustomObject(
          { ...this.on(plural, namespace), ...(labelSelector ? { labelSelector } : {}) },
          o,
        ),
      );
      return this.parse(what, () => parseItems(schema, list, `Longhorn ${plural}`));
    } catch (error) {
      // Listing a resource type the API server does not serve is the only way a list gets 404.
      if (error instanceof KubeError && error.reason === "not_found")
        throw longhornNotInstalled(this.site, what);
      throw error;
    }
  }

  /** Throws "not installed" unless the API server serves longhorn.io/v1beta2 volumes. */
  private async requireInstalled(what: string, options?: RequestOptions): Promise<void> {
    try {
      const resources = await this.request(`look for the Longhorn API (${what})`, options, (o) =>
        this.api.getAPIResources({ group: LONGHORN_GROUP, version: LONGHORN_VERSION }, o),
      );
      if (!resources.resources.some((r) => r.name === "volumes")) throw longhornNotInstalled(this.site, what);
    } catch (error) {
      if (error instanceof KubeError && error.reason === "not_found")
        throw longhornNotInstalled(this.site, what);
      throw error;
    }
  }

  private on(plural: Plural, namespace: string) {
    return { group: LONGHORN_GROUP, version: LONGHORN_VERSION, namespace, plural };
  }

  private request<T>(
    what: string,
    options: RequestOptions | undefined,
    send: (o: k8s.ConfigurationOptions, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return withDeadline({ site: this.site, operation: what }, this.timeoutMs, options?.signal, send);
  }

  /** An object that is not what Longhorn writes (another Longhorn version?) is an error, named so. */
  private parse<T>(what: string, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      throw new KubeError("invalid", { site: this.site, operation: what }, describeError(error), {
        code: "unavailable",
      });
    }
  }
}

/**
 * The newest good copy: the newest Completed backup object, or the backup volume's lastBackupAt
 * (Longhorn reads it from the backup store itself) when that is newer or the Backup objects have
 * not been synced yet. A backup in Error is never a good copy, even when it is the newest.
 */
function newestBackup(
  backups: readonly BackupObject[],
  bvs: readonly BackupVolumeObject[],
): { name: string; at: number } | undefined {
  let newest: { name: string; at: number } | undefined;
  const consider = (name: string, at: number | undefined) => {
    if (at !== undefined && (!newest || at > newest.at)) newest = { name, at };
  };
  for (const b of backups) if (b.status?.state === "Completed") consider(b.metadata.name, backupTime(b));
  const bad = new Set(backups.filter((b) => b.status?.state !== "Completed").map((b) => b.metadata.name));
  for (const bv of bvs) {
    const name = bv.status?.lastBackupName;
    if (name && !bad.has(name)) consider(name, parseTime(bv.status?.lastBackupAt));
  }
  return newest;
}
