import * as k8s from "@kubernetes/client-node";
import { z } from "zod";
import type { SiteConfig } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import type { EtcdSnapshotFileInfo } from "../../domain/rke2-snapshots.js";
import type { RequestOptions } from "../../ports/site.js";
import { KubeError } from "../kubernetes/kube-error.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { parseMemoryBytes } from "../kubernetes/quantities.js";
import { withDeadline } from "../kubernetes/with-deadline.js";

export const ETCD_SNAPSHOT_FILE = {
  group: "k3s.cattle.io",
  version: "v1",
  plural: "etcdsnapshotfiles",
} as const;

/** An ETCDSnapshotFile as RKE2 and k3s write it, read defensively: a field not set yet must not throw. */
const snapshotFileObject = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z
    .object({
      snapshotName: z.string().optional(),
      nodeName: z.string().optional(),
      location: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      creationTime: z.string().nullish(),
      readyToUse: z.boolean().nullish(),
      size: z.union([z.string(), z.number()]).nullish(),
      error: z.object({ message: z.string().nullish(), time: z.string().nullish() }).nullish(),
    })
    .nullish(),
});

/**
 * RKE2's and k3s's list of etcd snapshots on a site: the cluster-scoped ETCDSnapshotFile objects,
 * read with the site's deadline. Throws DrError (not_found, reason "not_served") when the API
 * server does not serve k3s.cattle.io/v1 etcdsnapshotfiles (not RKE2 or k3s, or older than
 * v1.28.4+rke2r1), KubeError for anything else.
 */
export class EtcdSnapshotFiles {
  readonly site: string;
  private readonly api: k8s.CustomObjectsApi;
  private readonly timeoutMs: number;

  constructor(site: SiteConfig) {
    this.site = site.name;
    this.timeoutMs = site.requestTimeout;
    this.api = loadKubeConfig(site).makeApiClient(k8s.CustomObjectsApi);
  }

  async list(options: RequestOptions = {}): Promise<EtcdSnapshotFileInfo[]> {
    const where = { site: this.site, operation: "list RKE2's ETCDSnapshotFile objects" };
    let raw: unknown;
    try {
      raw = await withDeadline(where, this.timeoutMs, options.signal, (o) =>
        this.api.listClusterCustomObject(ETCD_SNAPSHOT_FILE, o),
      );
    } catch (error) {
      // A list of a resource type the API server does not serve is the only way a list gets 404.
      if (error instanceof KubeError && error.reason === "not_found")
        throw new DrError(
          "not_found",
          `site ${this.site}: the ETCDSnapshotFile API (k3s.cattle.io/v1) is not served: not RKE2 or k3s, or older than v1.28.4+rke2r1`,
          { reason: "not_served", site: this.site },
        );
      throw error;
    }
    const items = (raw as { items?: unknown[] }).items ?? [];
    return items.flatMap((item) => {
      const parsed = snapshotFileObject.safeParse(item);
      if (!parsed.success) return [];
      const { metadata, spec, status } = parsed.data;
      const created = status?.creationTime ? Date.parse(status.creationTime) : Number.NaN;
      return [
        {
          name: metadata.name,
          snapshotName: spec?.snapshotName ?? metadata.name,
          nodeName: spec?.nodeName ?? "",
          location: spec?.location ?? "",
          createdAt: Number.isFinite(created) ? created : undefined,
          readyToUse: status?.readyToUse ?? undefined,
          sizeBytes:
            status?.size === undefined || status?.size === null
              ? undefined
              : parseMemoryBytes(String(status.size)),
          error: status?.error?.message ?? undefined,
        },
      ];
    });
  }
}

export function isSnapshotFilesNotServed(error: unknown): boolean {
  return error instanceof DrError && error.details.reason === "not_served";
}
