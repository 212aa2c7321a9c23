import * as k8s from "@kubernetes/client-node";

/**
 * A stand-in for longhorn-manager on a test cluster with Longhorn's real CRDs: it creates the
 * objects Longhorn would have (backup target, backup volumes, backups, DR volumes, recurring jobs,
 * with their status through the status subresource as Longhorn writes it), and a small controller
 * that finishes activations the way Longhorn's volume controller does (checkAndFinishVolumeRestore):
 * once spec.Standby is false, it first serves a pending backup-volume sync request, then restores
 * the newest backup and clears status.isStandby and status.restoreRequired, leaving the volume
 * healthy. A volume can be told to get stuck (activation never finishes) or to end up degraded.
 */
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
    // biome-ignore lint/suspicious/noExplicitAny: Longhorn objects as the API returns them
    const volumes = (await this.api.listNamespacedCustomObject(this.on("volumes"))).items as any[];
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
        state: "attached",
        lastBackup,
        lastBackupAt,
      });
      this.activated.push(name);
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
  volumes: "Volume",
  backups: "Backup",
  backupvolumes: "BackupVolume",
  backuptargets: "BackupTarget",
  recurringjobs: "RecurringJob",
};
