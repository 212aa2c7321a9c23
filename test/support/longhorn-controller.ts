import * as k8s from "@kubernetes/client-node";

/**
 * A stand-in for longhorn-manager on a test cluster with Longhorn's real CRDs: it creates the
 * objects Longhorn would have (backup target, backup volumes, backups, DR volumes, recurring jobs,
 * with their status through the status subresource as Longhorn writes it), and a small controller
 * that finishes activations the way Longhorn's volume controller does (checkAndFinishVolumeRestore):
 * once spec.Standby is false, it first serves a pending backup-volume sync request, then restores
 * the newest backup and clears status.isStandby and status.restoreRequired, leaving the volume
 * healthy. A volume can be told to get stuck (activation never finishes) or to end up degraded.
 *
 * Two sites' controllers can share one backup target (`shareTarget`), as two Longhorn installations
 * pointed at the same bucket do: then a Backup drbot creates is "uploaded" (Completed, with its URL)
 * into the shared target, each site brings the target's backups in as Backup objects and keeps its
 * BackupVolumes' newest backup current (Longhorn's backup target sync, here on every pass instead of
 * every poll interval), a DR volume drbot creates starts restoring, every DR volume follows its
 * backup volume's newest backup, and an activated volume is left detached (KWOK runs no pods, so
 * nothing attaches it). This is a test controller, not Longhorn: no data moves, only the objects
 * Longhorn would write.
 */

/** A backup in the shared target (the bucket), by name. */
export interface TargetBackup {
  name: string;
  backupVolume: string;
  createdAt: string;
  url: string;
  volumeSize: string;
}

/** The backup target two sites' controllers share: what the bucket holds. */
export class SharedBackupTarget {
  readonly backups = new Map<string, TargetBackup>();

  newest(backupVolume: string): TargetBackup | undefined {
    let newest: TargetBackup | undefined;
    for (const b of this.backups.values())
      if (b.backupVolume === backupVolume && (!newest || b.createdAt >= newest.createdAt)) newest = b;
    return newest;
  }
}

const TARGET_URL = "s3://drbot-backups@us-west-2/";
const GROUP = "longhorn.io";
const VERSION = "v1beta2";

export type ActivationBehaviour = "finish" | "stuck" | "degraded";

export interface DrVolumeFixture {
  name: string;
  /** The source volume's name on the primary, the DR volume's backup-volume label. */
  backupVolume?: string;
  robustness?: string;
  state?: string;
  lastBackup?: string;
  lastBackupAt?: string;
  restoreFailure?: string;
  /** spec.Standby true but Longhorn has not started restoring (status.isStandby false). */
  notStarted?: boolean;
  labels?: Record<string, string>;
}

export class FakeLonghorn {
  private readonly api: k8s.CustomObjectsApi;
  private readonly behaviour = new Map<string, ActivationBehaviour>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Backup volumes whose sync Longhorn was asked for (spec.syncRequestedAt), in order. */
  readonly syncRequests: string[] = [];
  /** Volumes this controller finished activating, in order. */
  readonly activated: string[] = [];
  private target: SharedBackupTarget | undefined;

  constructor(
    kubeconfigPath: string,
    context: string,
    readonly namespace = "longhorn-system",
  ) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    kc.setCurrentContext(context);
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  /**
   * Deletes every Longhorn object in its namespace: the test clusters are shared by the test files
   * in turn, and each starts from an empty Longhorn.
   */
  async reset(): Promise<void> {
    for (const plural of Object.keys(KIND))
      await this.api.deleteCollectionNamespacedCustomObject(this.on(plural));
  }

  /** Shares a backup target with the other site's controller (see the class comment). */
  shareTarget(target: SharedBackupTarget): void {
    this.target = target;
  }

  /** Sets a volume's status.state, as Longhorn does when a workload attaches or releases it. */
  async setVolumeState(name: string, state: "attached" | "detached"): Promise<void> {
    await this.setStatus("volumes", name, { state });
  }

  behave(volume: string, behaviour: ActivationBehaviour): void {
    this.behaviour.set(volume, behaviour);
  }

  async backupTarget(name = "default", available = true, message?: string): Promise<void> {
    await this.create("backuptargets", {
      metadata: { name },
      spec: { backupTargetURL: "s3://drbot-backups@us-west-2/", pollInterval: "5m0s" },
    });
    await this.setStatus("backuptargets", name, {
      available,
      lastSyncedAt: new Date().toISOString(),
      conditions: message ? [{ type: "Unavailable", status: "True", reason: "Unavailable", message }] : [],
    });
  }

  async backupVolume(volume: string, lastBackupName: string, lastBackupAt: string): Promise<string> {
    const name = `bv-${volume}`;
    await this.create("backupvolumes", {
      metadata: { name, labels: { "backup-volume": volume, "backup-target": "default" } },
      spec: { backupTargetName: "default", volumeName: volume },
    });
    await this.setStatus("backupvolumes", name, {
      lastBackupName,
      lastBackupAt,
      lastSyncedAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
    });
    return name;
  }

  async backup(
    volume: string,
    name: string,
    state: "Completed" | "Error" | "InProgress",
    backupCreatedAt: string,
  ): Promise<void> {
    await this.create("backups", {
      metadata: { name, labels: { "backup-volume": volume, "backup-target": "default" } },
      spec: { snapshotName: `snap-${name}` },
    });
    await this.setStatus("backups", name, {
      state,
      volumeName: volume,
      backupTargetName: "default",
      snapshotCreatedAt: backupCreatedAt,
      ...(state === "Completed" ? { backupCreatedAt, progress: 100 } : {}),
      ...(state === "Error" ? { error: "failed to upload: connection reset" } : {}),
    });
  }

  /** Changes a backup's state, as Longhorn does when its upload turns out to have failed. */
  async setBackupState(name: string, state: "Completed" | "Error"): Promise<void> {
    await this.setStatus("backups", name, {
      state,
      ...(state === "Error" ? { error: "failed to upload: connection reset" } : {}),
    });
  }

  async recurringJob(name: string, cron: string, groups: string[], task = "backup"): Promise<void> {
    await this.create("recurringjobs", {
      metadata: { name },
      spec: { name, task, cron, groups, retain: 10, concurrency: 2 },
    });
  }

  async drVolume(f: DrVolumeFixture): Promise<void> {
    const source = f.backupVolume ?? f.name;
    await this.create("volumes", {
      metadata: {
        name: f.name,
        labels: { "backup-volume": source, "backup-target": "default", ...f.labels },
      },
      spec: {
        Standby: true,
        frontend: "",
        dataEngine: "v1",
        numberOfReplicas: 3,
        size: "10737418240",
        backupTargetName: "default",
        fromBackup: `s3://drbot-backups@us-west-2/?backup=${f.lastBackup ?? "none"}&volume=${source}`,
      },
    });
    await this.setStatus("volumes", f.name, {
      isStandby: !f.notStarted,
      restoreRequired: !f.notStarted,
      restoreInitiated: !f.notStarted,
      state: f.state ?? "attached",
      robustness: f.robustness ?? "healthy",
      ...(f.lastBackup ? { lastBackup: f.lastBackup, lastBackupAt: f.lastBackupAt ?? "" } : {}),
      conditions: f.restoreFailure
        ? [{ type: "Restore", status: "False", reason: "RestoreFailure", message: f.restoreFailure }]
        : [{ type: "Restore", status: "True", reason: "RestoreInProgress", message: "" }],
    });
  }

  async activeVolume(name: string): Promise<void> {
    await this.create("volumes", {
      metadata: { name },
      spec: {
        Standby: false,
        frontend: "blockdev",
        dataEngine: "v1",
        numberOfReplicas: 3,
        size: "1073741824",
      },
    });
    await this.setStatus("volumes", name, {
      isStandby: false,
      restoreRequired: false,
      state: "attached",
      robustness: "healthy",
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
  async get(plural: string, name: string): Promise<any> {
    return this.api.getNamespacedCustomObject({ ...this.on(plural), name });
  }

  /** Starts reconciling: every 50 ms, like an informer's resync but without the watch plumbing. */
  start(): void {
    this.running = true;
    const tick = async () => {
      if (!this.running) return;
      try {
        await this.reconcile();
      } catch {
        // A failed pass is retried on the next tick, as a controller requeues.
      }
      if (this.running) this.timer = setTimeout(tick, 50);
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private async reconcile(): Promise<void> {
    if (this.target) await this.syncTarget(this.target);
    // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
    const volumes = (await this.api.listNamespacedCustomObject(this.on("volumes"))).items as any[];
    if (this.target) await this.followTarget(this.target, volumes);
    for (const v of volumes) {
      if (v.spec?.Standby !== false || v.status?.isStandby !== true) continue;
      const name: string = v.metadata.name;
      const behaviour = this.behaviour.get(name) ?? "finish";
      if (behaviour === "stuck") continue;
      const bvName = `bv-${v.metadata.labels?.["backup-volume"] ?? name}`;
      const bv = await this.get("backupvolumes", bvName).catch(() => undefined);
      let lastBackup: string | undefined = v.status?.lastBackup;
      let lastBackupAt: string | undefined = v.status?.lastBackupAt;
      if (bv) {
        const requested = Date.parse(bv.spec?.syncRequestedAt ?? "");
        const synced = Date.parse(bv.status?.lastSyncedAt ?? "");
        if (!Number.isNaN(requested) && (Number.isNaN(synced) || requested > synced)) {
          this.syncRequests.push(bvName);
          await this.setStatus("backupvolumes", bvName, { lastSyncedAt: bv.spec.syncRequestedAt });
        }
        lastBackup = bv.status?.lastBackupName ?? lastBackup;
        lastBackupAt = bv.status?.lastBackupAt ?? lastBackupAt;
      }
      await this.setStatus("volumes", name, {
        isStandby: false,
        restoreRequired: false,
        robustness: behaviour === "degraded" ? "degraded" : "healthy",
        state: this.target ? "detached" : "attached",
        lastBackup,
        lastBackupAt,
      });
      this.activated.push(name);
    }
  }

  /**
   * Uploads this site's new backups into the target (a Backup drbot created is Completed at once,
   * with its URL), then brings in the target's backups this site has not seen, and keeps each
   * BackupVolume's newest backup current.
   */
  private async syncTarget(target: SharedBackupTarget): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
    const backups = (await this.api.listNamespacedCustomObject(this.on("backups"))).items as any[];
    const here = new Set<string>();
    for (const b of backups) {
      const name: string = b.metadata.name;
      here.add(name);
      const backupVolume: string = b.metadata.labels?.["backup-volume"] ?? b.status?.volumeName ?? "";
      if (!b.status?.state && b.spec?.snapshotName) {
        // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
        const volume: any = await this.get("volumes", backupVolume).catch(() => undefined);
        const stored: TargetBackup = {
          name,
          backupVolume,
          createdAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          url: `${TARGET_URL}?backup=${name}&volume=${backupVolume}`,
          volumeSize: volume?.spec?.size ?? "1073741824",
        };
        await this.setStatus("backups", name, this.completed(stored));
        target.backups.set(name, stored);
      } else if (b.status?.state === "Completed" && !target.backups.has(name)) {
        const createdAt = b.status.backupCreatedAt ?? new Date().toISOString();
        target.backups.set(name, {
          name,
          backupVolume,
          createdAt,
          url: b.status.url || `${TARGET_URL}?backup=${name}&volume=${backupVolume}`,
          volumeSize: b.status.volumeSize || "1073741824",
        });
      }
    }
    for (const stored of target.backups.values()) {
      if (here.has(stored.name)) continue;
      await this.create("backups", {
        metadata: {
          name: stored.name,
          labels: { "backup-volume": stored.backupVolume, "backup-target": "default" },
        },
        spec: { snapshotName: "" },
      });
      await this.setStatus("backups", stored.name, this.completed(stored));
    }
    for (const backupVolume of new Set([...target.backups.values()].map((b) => b.backupVolume))) {
      const newest = target.newest(backupVolume)!;
      const bvName = `bv-${backupVolume}`;
      const bv = await this.get("backupvolumes", bvName).catch(() => undefined);
      if (!bv) await this.backupVolume(backupVolume, newest.name, newest.createdAt);
      else if (bv.status?.lastBackupName !== newest.name)
        await this.setStatus("backupvolumes", bvName, {
          lastBackupName: newest.name,
          lastBackupAt: newest.createdAt,
          lastSyncedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        });
    }
  }

  private completed(stored: TargetBackup): Record<string, unknown> {
    return {
      state: "Completed",
      progress: 100,
      volumeName: stored.backupVolume,
      backupTargetName: "default",
      snapshotCreatedAt: stored.createdAt,
      backupCreatedAt: stored.createdAt,
      url: stored.url,
      volumeSize: stored.volumeSize,
    };
  }

  /** A DR volume drbot created starts restoring; every DR volume follows its newest backup. */
  // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
  private async followTarget(target: SharedBackupTarget, volumes: any[]): Promise<void> {
    for (const v of volumes) {
      if (v.spec?.Standby !== true) continue;
      const newest = target.newest(v.metadata.labels?.["backup-volume"] ?? v.metadata.name);
      if (!v.status?.state)
        await this.setStatus("volumes", v.metadata.name, {
          isStandby: true,
          restoreRequired: true,
          restoreInitiated: true,
          state: "attached",
          robustness: "healthy",
          conditions: [{ type: "Restore", status: "True", reason: "RestoreInProgress", message: "" }],
          ...(newest ? { lastBackup: newest.name, lastBackupAt: newest.createdAt } : {}),
        });
      else if (v.status?.isStandby && newest && v.status.lastBackup !== newest.name)
        await this.setStatus("volumes", v.metadata.name, {
          lastBackup: newest.name,
          lastBackupAt: newest.createdAt,
        });
    }
  }

  private async create(plural: string, body: Record<string, unknown>): Promise<void> {
    await this.api.createNamespacedCustomObject({
      ...this.on(plural),
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND[plural], ...body },
    });
  }

  private async setStatus(plural: string, name: string, status: Record<string, unknown>): Promise<void> {
    await this.api.patchNamespacedCustomObjectStatus(
      { ...this.on(plural), name, body: { status } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  }

  private on(plural: string) {
    return { group: GROUP, version: VERSION, namespace: this.namespace, plural };
  }
}

const KIND: Record<string, string> = {
  snapshots: "Snapshot",
  volumes: "Volume",
  backups: "Backup",
  backupvolumes: "BackupVolume",
  backuptargets: "BackupTarget",
  recurringjobs: "RecurringJob",
};
