import * as k8s from "@kubernetes/client-node";
import { withDeadline } from "../../src/adapters/kubernetes/with-deadline.js";
import { parseDuration } from "../../src/domain/duration.js";

/**
 * A stand-in for the Velero server, for fast tests of how drbot handles each phase (the phases real
 * Velero only reaches on failures that are hard to provoke on demand, takeovers mid-restore). It
 * restores nothing: every test of the shipped runbooks runs real Velero (velero-testenv.ts).
 *
 * On a test cluster it moves Backups and Restores through their phases,
 * one phase per tick, as Velero's controllers would, stamping start and completion times,
 * expiration, warnings and errors. What a Backup (or a restore of a backup) goes through is
 * scripted by annotations on the Backup, so a test states the outcome in the data it creates:
 *
 * - `test.drbot.io/phases`: the phases of the Backup after New (default InProgress, Finalizing,
 *   Completed);
 * - `test.drbot.io/restore-phases`: the phases of any Restore of it (default InProgress,
 *   WaitingForPluginOperations, Finalizing, Completed);
 * - `test.drbot.io/restore-warnings`, `-errors`, `-failure-reason`, and the same without `restore-`
 *   for the Backup itself.
 *
 * Like Velero, a Restore of a backup that does not exist ends FailedValidation.
 */
export const PHASES = "test.drbot.io/phases";
export const RESTORE_PHASES = "test.drbot.io/restore-phases";

const GROUP = "velero.io";
const VERSION = "v1";
const TERMINAL = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);
const DEFAULT_BACKUP = ["InProgress", "Finalizing", "Completed"];
const DEFAULT_RESTORE = ["InProgress", "WaitingForPluginOperations", "Finalizing", "Completed"];

interface Obj {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    resourceVersion?: string;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface SeedBackup {
  name: string;
  schedule?: string;
  namespaces?: string[];
  phase?: string;
  startedAt?: number;
  completedAt?: number;
  expiresAt?: number;
  warnings?: number;
  errors?: number;
  annotations?: Record<string, string>;
  storageLocation?: string;
  labels?: Record<string, string>;
}

export class VeleroTestController {
  private readonly api: k8s.CustomObjectsApi;
  private stopped = true;
  private running: Promise<void> | undefined;
  private paused = false;
  /** Restores it has moved, by name, with every phase they went through. */
  readonly restorePhases = new Map<string, string[]>();
  /**
   * What Backups without annotations go through (drbot creates them, so a test cannot annotate
   * them): by default InProgress, Finalizing, Completed.
   */
  backupScript: Script = { phases: DEFAULT_BACKUP, warnings: 0, errors: 0 };

  constructor(
    kubeconfigPath: string,
    context: string,
    readonly namespace = "velero",
    private readonly tickMs = 50,
  ) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    kc.setCurrentContext(context);
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  start(): void {
    this.stopped = false;
    this.running = (async () => {
      while (!this.stopped) {
        if (!this.paused) await this.tick().catch(() => undefined);
        // The controller's own pace between reconciliations, as Velero's resync would have.
        await new Promise((resolve) => setTimeout(resolve, this.tickMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Holds every object in its current phase until resume() (for crash-resume tests). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** A Backup as Velero's storage-location sync would bring it in: status and all. */
  async putBackup(seed: SeedBackup): Promise<void> {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const status = Object.fromEntries(
      Object.entries({
        phase: seed.phase,
        startTimestamp: iso(seed.startedAt),
        completionTimestamp: iso(seed.completedAt),
        expiration: iso(seed.expiresAt),
        warnings: seed.warnings,
        errors: seed.errors,
      }).filter(([, v]) => v !== undefined),
    );
    await this.create("backups", {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Backup",
      metadata: {
        name: seed.name,
        namespace: this.namespace,
        labels: { ...seed.labels, ...(seed.schedule ? { "velero.io/schedule-name": seed.schedule } : {}) },
        annotations: seed.annotations ?? {},
      },
      spec: {
        includedNamespaces: seed.namespaces ?? ["*"],
        ttl: "720h0m0s",
        ...(seed.storageLocation ? { storageLocation: seed.storageLocation } : {}),
      },
      status,
    });
  }

  async putSchedule(name: string, namespaces: string[], cron = "0 1 * * *"): Promise<void> {
    await this.create("schedules", {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Schedule",
      metadata: { name, namespace: this.namespace },
      spec: { schedule: cron, template: { includedNamespaces: namespaces, ttl: "720h0m0s" } },
      status: { phase: "Enabled" },
    });
  }

  async putStorageLocation(
    name: string,
    status: { phase: "Available" | "Unavailable"; message?: string } = { phase: "Available" },
    isDefault = true,
  ): Promise<void> {
    await this.create("backupstoragelocations", {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "BackupStorageLocation",
      metadata: { name, namespace: this.namespace },
      spec: { provider: "aws", default: isDefault, objectStorage: { bucket: "dr-backups" } },
      status,
    });
  }

  /**
   * Deletes every Velero object in its namespace: the test clusters are shared by the test files in
   * turn, and each starts from an empty Velero.
   */
  async reset(): Promise<void> {
    for (const plural of ["backups", "restores", "schedules", "backupstoragelocations"] as const)
      await this.deleteAll(plural);
  }

  async deleteAll(plural: "backups" | "restores" | "schedules" | "backupstoragelocations"): Promise<void> {
    await this.call((o) =>
      this.api.deleteCollectionNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural },
        o,
      ),
    );
  }

  private async tick(): Promise<void> {
    const [backups, restores] = await Promise.all([this.list("backups"), this.list("restores")]);
    const byName = new Map(backups.map((b) => [b.metadata.name, b]));
    await Promise.all([
      ...backups.map((b) =>
        this.advance(
          "backups",
          b,
          b.metadata.annotations?.[PHASES] ? script(b, "", DEFAULT_BACKUP) : this.backupScript,
          b,
        ),
      ),
      ...restores.map((r) => {
        const backup = byName.get(String(r.spec.backupName ?? ""));
        if (!backup)
          return this.finish("restores", r, {
            phase: "FailedValidation",
            validationErrors: [`backup "${String(r.spec.backupName)}" not found`],
          });
        return this.advance("restores", r, script(backup, "restore-", DEFAULT_RESTORE), backup);
      }),
    ]);
  }

  private async advance(plural: "backups" | "restores", o: Obj, s: Script, backup: Obj): Promise<void> {
    const current = String(o.status?.phase ?? "");
    if (TERMINAL.has(current)) return;
    const next = s.phases[current === "" || current === "New" ? 0 : s.phases.indexOf(current) + 1];
    if (!next) return;
    const now = new Date().toISOString();
    const status: Record<string, unknown> = { phase: next };
    if (!o.status?.startTimestamp) status.startTimestamp = now;
    if (next.includes("PartiallyFailed") || TERMINAL.has(next)) {
      status.warnings = s.warnings;
      status.errors = s.errors;
    }
    if (TERMINAL.has(next)) {
      status.completionTimestamp = now;
      if (s.failureReason && next === "Failed") status.failureReason = s.failureReason;
      if (next === "FailedValidation") status.validationErrors = [s.failureReason ?? "invalid spec"];
      if (plural === "backups") {
        const ttl = parseDuration(String(backup.spec.ttl ?? "720h")) ?? 0;
        status.expiration = new Date(Date.now() + ttl).toISOString();
      }
    }
    // With the resourceVersion read, so a stale read cannot move an object twice (409 instead).
    await this.patch(plural, o.metadata.name, {
      metadata: { resourceVersion: o.metadata.resourceVersion },
      status,
    });
    if (plural === "restores") {
      const list = this.restorePhases.get(o.metadata.name) ?? [];
      list.push(next);
      this.restorePhases.set(o.metadata.name, list);
    }
  }

  private async finish(plural: "restores", o: Obj, status: Record<string, unknown>): Promise<void> {
    if (TERMINAL.has(String(o.status?.phase ?? ""))) return;
    this.restorePhases.set(o.metadata.name, [String(status.phase)]);
    await this.patch(plural, o.metadata.name, {
      status: { ...status, completionTimestamp: new Date().toISOString() },
    });
  }

  private async list(plural: string): Promise<Obj[]> {
    const list = (await this.call((o) =>
      this.api.listNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural },
        o,
      ),
    )) as { items: Obj[] };
    return list.items;
  }

  private async create(plural: string, body: object): Promise<void> {
    await this.call((o) =>
      this.api.createNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural, body },
        o,
      ),
    );
  }

  private async patch(plural: string, name: string, body: object): Promise<void> {
    await this.call((o) =>
      this.api.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural, name, body },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o),
      ),
    );
  }

  private call<T>(send: (o: k8s.ConfigurationOptions) => Promise<T>): Promise<T> {
    return withDeadline({ site: "test", operation: "drive Velero objects" }, 5_000, undefined, send);
  }
}

export interface Script {
  phases: string[];
  warnings: number;
  errors: number;
  failureReason?: string;
}

function script(backup: Obj, prefix: "" | "restore-", fallback: string[]): Script {
  const a = backup.metadata.annotations ?? {};
  const phases = a[prefix === "" ? PHASES : RESTORE_PHASES];
  const reason = a[`test.drbot.io/${prefix}failure-reason`];
  return {
    phases: phases ? phases.split(",").map((p) => p.trim()) : fallback,
    warnings: Number(a[`test.drbot.io/${prefix}warnings`] ?? 0),
    errors: Number(a[`test.drbot.io/${prefix}errors`] ?? 0),
    ...(reason ? { failureReason: reason } : {}),
  };
}
