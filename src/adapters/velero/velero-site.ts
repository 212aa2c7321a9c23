import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import type { SiteConfig } from "../../domain/config.js";
import type { FoundGroup } from "../../domain/restore-verification.js";
import type { BackupInfo, RestoreInfo, RestoreResults } from "../../domain/velero.js";
import type { RequestOptions } from "../../ports/site.js";
import {
  ACCESS_BEFORE_RUN,
  ACCESS_CHANGED_BY_RUN,
  type NewBackup,
  type NewRestore,
  type ScheduleInfo,
  type StorageAccessMode,
  type StorageLocationInfo,
  type VeleroPort,
  veleroNotInstalled,
} from "../../ports/velero.js";
import { KubeError } from "../kubernetes/kube-error.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { withDeadline } from "../kubernetes/with-deadline.js";
import { downloadBackupResourceList, downloadRestoreResults } from "./restore-results.js";
import { modifiersConfigMap, ObjectNames } from "./restore-sandbox.js";
import {
  backupInfo,
  downloadUrlOf,
  goDuration,
  restoreInfo,
  scheduleInfo,
  storageLocationInfo,
} from "./velero-objects.js";

const GROUP = "velero.io";
const VERSION = "v1";
type Plural = "backups" | "restores" | "schedules" | "backupstoragelocations" | "downloadrequests";
/** How long Velero's server may take to answer a DownloadRequest (it answers within a second when up). */
const DOWNLOAD_REQUEST_TIMEOUT_MS = 20_000;

/**
 * Velero on one site through its CRDs with client-node's CustomObjectsApi, not the velero CLI:
 * typed reads, no output scraping, and every request under the site's deadline (with-deadline.ts).
 * A 404 on a list means the velero.io/v1 API is not served: Velero is not installed there.
 */
export class VeleroSite implements VeleroPort {
  readonly site: string;
  readonly namespace: string;
  private readonly api: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly objects: ObjectNames;
  private readonly timeoutMs: number;

  /** Throws KubeError (invalid_config) when the kubeconfig or its context cannot be used. */
  constructor(
    site: SiteConfig,
    options: { namespace?: string; kubeconfigPath?: string; timeoutMs?: number } = {},
  ) {
    this.site = site.name;
    this.namespace = options.namespace ?? "velero";
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
    const kc = loadKubeConfig(site, options);
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.objects = kc.makeApiClient(ObjectNames);
  }

  async listBackups(options?: RequestOptions & { labelSelector?: string }): Promise<BackupInfo[]> {
    return (await this.list("backups", options)).map(backupInfo);
  }

  async getBackup(name: string, options?: RequestOptions): Promise<BackupInfo | undefined> {
    const raw = await this.get("backups", name, options);
    return raw === undefined ? undefined : backupInfo(raw);
  }

  async listSchedules(options?: RequestOptions): Promise<ScheduleInfo[]> {
    return (await this.list("schedules", options)).map(scheduleInfo);
  }

  async listStorageLocations(options?: RequestOptions): Promise<StorageLocationInfo[]> {
    return (await this.list("backupstoragelocations", options)).map(storageLocationInfo);
  }

  async setStorageLocationAccess(
    name: string,
    accessMode: StorageAccessMode,
    options?: RequestOptions & { byRun?: { runId: string; before: string } },
  ): Promise<StorageLocationInfo> {
    const what = `set Velero storage location ${this.namespace}/${name} ${accessMode}`;
    const by = options?.byRun;
    const annotations = {
      [ACCESS_CHANGED_BY_RUN]: by?.runId ?? null,
      [ACCESS_BEFORE_RUN]: by?.before ?? null,
    };
    try {
      const patched = await this.request(what, options, (o) =>
        this.api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: this.namespace,
            plural: "backupstoragelocations",
            name,
            body: { metadata: { annotations }, spec: { accessMode } },
          },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o),
        ),
      );
      return storageLocationInfo(patched);
    } catch (error) {
      if (isUnserved(error)) throw veleroNotInstalled(this.site, what);
      throw error;
    }
  }

  async listRestores(options?: RequestOptions & { labelSelector?: string }): Promise<RestoreInfo[]> {
    return (await this.list("restores", options)).map(restoreInfo);
  }

  async getRestore(name: string, options?: RequestOptions): Promise<RestoreInfo | undefined> {
    const raw = await this.get("restores", name, options);
    return raw === undefined ? undefined : restoreInfo(raw);
  }

  async createBackup(backup: NewBackup, options?: RequestOptions): Promise<BackupInfo> {
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Backup",
      metadata: { name: backup.name, namespace: this.namespace, labels: backup.labels },
      spec: { includedNamespaces: backup.includedNamespaces, ttl: goDuration(backup.ttlMs) },
    };
    return backupInfo(await this.create("backups", backup.name, body, options));
  }

  async createRestore(restore: NewRestore, options?: RequestOptions): Promise<RestoreInfo> {
    // The modifiers first: Velero reads them when it starts the restore, and fails one naming none.
    if (restore.resourceModifiers?.length) {
      const body = modifiersConfigMap(
        restore.name,
        this.namespace,
        restore.labels,
        restore.resourceModifiers,
      );
      try {
        await this.request(
          `create ConfigMap ${this.namespace}/${restore.name} (resource modifiers)`,
          options,
          (o) => this.core.createNamespacedConfigMap({ namespace: this.namespace, body }, o),
        );
      } catch (error) {
        // Made by an earlier attempt of the same request: the same name means the same rules.
        if (!(error instanceof KubeError && error.reason === "conflict")) throw error;
      }
    }
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Restore",
      metadata: { name: restore.name, namespace: this.namespace, labels: restore.labels },
      spec: {
        backupName: restore.backupName,
        ...(restore.includedNamespaces.length > 0 ? { includedNamespaces: restore.includedNamespaces } : {}),
        ...(restore.namespaceMapping ? { namespaceMapping: restore.namespaceMapping } : {}),
        existingResourcePolicy: restore.existingResourcePolicy,
        ...(restore.excludedResources?.length ? { excludedResources: restore.excludedResources } : {}),
        ...(restore.includeClusterResources === false ? { includeClusterResources: false } : {}),
        ...(restore.resourceModifiers?.length
          ? { resourceModifier: { kind: "ConfigMap", name: restore.name } }
          : {}),
      },
    };
    return restoreInfo(await this.create("restores", restore.name, body, options));
  }

  async restoreResults(name: string, options?: RequestOptions): Promise<RestoreResults | undefined> {
    const where = {
      site: this.site,
      operation: `read Velero's results of restore ${this.namespace}/${name}`,
    };
    return this.download("RestoreResults", name, where, options, downloadRestoreResults);
  }

  async backupResourceList(
    name: string,
    options?: RequestOptions,
  ): Promise<Record<string, string[]> | undefined> {
    const where = {
      site: this.site,
      operation: `read the resource list of backup ${this.namespace}/${name}`,
    };
    return this.download("BackupResourceList", name, where, options, downloadBackupResourceList);
  }

  async deleteRestoreModifiers(restoreName: string, options?: RequestOptions): Promise<boolean> {
    try {
      await this.request(
        `delete ConfigMap ${this.namespace}/${restoreName} (resource modifiers)`,
        options,
        (o) => this.core.deleteNamespacedConfigMap({ name: restoreName, namespace: this.namespace }, o),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.reason === "not_found") return false;
      throw error;
    }
  }

  async resourceOf(
    apiVersion: string,
    kind: string,
    options?: RequestOptions,
  ): Promise<{ resource: string; namespaced: boolean } | undefined> {
    return this.request(`find the resource of ${apiVersion} ${kind}`, options, (o) =>
      this.objects.resourceOf(apiVersion, kind, o),
    );
  }

  async listNamespaced(
    namespace: string,
    apiVersion: string,
    kind: string,
    options?: RequestOptions,
  ): Promise<FoundGroup | undefined> {
    return this.request(`list ${apiVersion} ${kind} in ${namespace}`, options, (o) =>
      this.objects.names(namespace, apiVersion, kind, o),
    );
  }

  /**
   * A file of Velero's in the storage location, through a DownloadRequest the site's Velero server
   * answers with a signed URL, then read from there (so drbot must reach the object store's
   * endpoint, as the velero CLI must).
   */
  private async download<T>(
    kind: "RestoreResults" | "BackupResourceList",
    name: string,
    where: { site: string; operation: string },
    options: RequestOptions | undefined,
    read: (
      url: string,
      where: { site: string; operation: string },
      timeoutMs: number,
      signal?: AbortSignal,
    ) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + DOWNLOAD_REQUEST_TIMEOUT_MS;
    // A name of its own per read: Velero answers each request once and deletes it when it expires.
    const request = `${name.slice(0, 200)}-${kind === "RestoreResults" ? "results" : "contents"}-${randomBytes(4).toString("hex")}`;
    await this.create(
      "downloadrequests",
      request,
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "DownloadRequest",
        metadata: {
          name: request,
          namespace: this.namespace,
          labels: { "app.kubernetes.io/managed-by": "drbot" },
        },
        spec: { target: { kind, name } },
      },
      options,
    );
    let delay = 100;
    for (;;) {
      const url = downloadUrlOf(await this.get("downloadrequests", request, options));
      if (url) {
        const left = Math.max(1_000, Math.min(this.timeoutMs * 2, deadline - Date.now()));
        return read(url, where, left, options?.signal);
      }
      if (Date.now() + delay > deadline)
        throw new KubeError(
          "timeout",
          where,
          `Velero's server did not answer download request ${request} within ${DOWNLOAD_REQUEST_TIMEOUT_MS} ms (is it running?)`,
        );
      await pause(delay, options?.signal);
      delay = Math.min(delay * 2, 1_000);
    }
  }

  private async list(
    plural: Plural,
    options: (RequestOptions & { labelSelector?: string }) | undefined,
  ): Promise<unknown[]> {
    const what = `list Velero ${plural} in ${this.namespace}`;
    try {
      const list = (await this.request(what, options, (o) =>
        this.api.listNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: this.namespace,
            plural,
            ...(options?.labelSelector ? { labelSelector: options.labelSelector } : {}),
          },
          o,
        ),
      )) as { items?: unknown[] };
      return list.items ?? [];
    } catch (error) {
      // Listing never 404s for a missing object, only for a resource type nobody serves.
      if (error instanceof KubeError && error.reason === "not_found")
        throw veleroNotInstalled(this.site, what);
      throw error;
    }
  }

  private async get(plural: Plural, name: string, options: RequestOptions | undefined): Promise<unknown> {
    const what = `read Velero ${plural} ${this.namespace}/${name}`;
    try {
      return await this.request(what, options, (o) =>
        this.api.getNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace: this.namespace, plural, name },
          o,
        ),
      );
    } catch (error) {
      if (isUnserved(error)) throw veleroNotInstalled(this.site, what);
      if (error instanceof KubeError && error.reason === "not_found") return undefined;
      throw error;
    }
  }

  private async create(
    plural: Plural,
    name: string,
    body: object,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    const what = `create Velero ${plural} ${this.namespace}/${name}`;
    try {
      return await this.request(what, options, (o) =>
        this.api.createNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace: this.namespace, plural, body },
          o,
        ),
      );
    } catch (error) {
      if (isUnserved(error)) throw veleroNotInstalled(this.site, what);
      // Created before (a retry, or a takeover after a crash): the existing object is the answer.
      if (error instanceof KubeError && error.reason === "conflict") {
        const existing = await this.get(plural, name, options);
        if (existing !== undefined) return existing;
      }
      throw error;
    }
  }

  private request<T>(
    what: string,
    options: RequestOptions | undefined,
    send: (o: k8s.ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    return withDeadline({ site: this.site, operation: what }, this.timeoutMs, options?.signal, send);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A missing object (or namespace) names itself in a JSON 404; a resource type nobody serves gets the
 * API server's plain "404 page not found" (or, through aggregation, "could not find the requested
 * resource").
 */
function isUnserved(error: unknown): boolean {
  return (
    error instanceof KubeError &&
    error.reason === "not_found" &&
    /page not found|could not find the requested resource/.test(error.message)
  );
}
