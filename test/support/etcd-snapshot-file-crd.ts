import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { TestClusters } from "./k8s-testenv.js";

/**
 * RKE2's and k3s's ETCDSnapshotFile CRD (k3s.cattle.io/v1, cluster-scoped), written here from the
 * fields RKE2 documents and k3s's API types declare (pkg/apis/k3s.cattle.io/v1): spec.snapshotName,
 * nodeName, location (file:// or s3://), metadata, s3; status.creationTime, readyToUse, size (a
 * quantity) and error {time, message}, status as a subresource. k3s registers the CRD from Go code
 * at start-up and publishes no YAML to take it from, so this is our transcription of those types,
 * not RKE2's file: what it shows is drbot reading objects of that shape through a real API server,
 * not that RKE2's controller writes them the same way.
 */
export function etcdSnapshotFileCrd(): Record<string, unknown> {
  const s3 = {
    type: "object",
    properties: Object.fromEntries(
      ["endpoint", "endpointCA", "bucket", "region", "folder"].map((k) => [k, { type: "string" }]),
    ),
    "x-kubernetes-preserve-unknown-fields": true,
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "etcdsnapshotfiles.k3s.cattle.io" },
    spec: {
      group: "k3s.cattle.io",
      scope: "Cluster",
      names: {
        kind: "ETCDSnapshotFile",
        listKind: "ETCDSnapshotFileList",
        plural: "etcdsnapshotfiles",
        singular: "etcdsnapshotfile",
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  required: ["snapshotName", "nodeName", "location"],
                  properties: {
                    snapshotName: { type: "string" },
                    nodeName: { type: "string" },
                    location: { type: "string" },
                    metadata: { type: "object", additionalProperties: { type: "string" } },
                    s3,
                  },
                },
                status: {
                  type: "object",
                  properties: {
                    readyToUse: { type: "boolean" },
                    creationTime: { type: "string", format: "date-time" },
                    size: {
                      "x-kubernetes-int-or-string": true,
                      anyOf: [{ type: "integer" }, { type: "string" }],
                    },
                    error: {
                      type: "object",
                      properties: {
                        time: { type: "string", format: "date-time" },
                        message: { type: "string" },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** Installs the CRD on one cluster and waits until the API server serves it. */
export async function installEtcdSnapshotFileCrd(clusters: TestClusters, context: string): Promise<void> {
  const file = join(clusters.dir, `etcd-snapshot-file-crd-${context}.yaml`);
  await writeFile(file, stringify(etcdSnapshotFileCrd()));
  await clusters.kubectl(context, "apply", "-f", file);
  await clusters.kubectl(
    context,
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/etcdsnapshotfiles.k3s.cattle.io",
  );
}

export interface SnapshotFileObject {
  name: string;
  snapshotName: string;
  nodeName: string;
  location: string;
  status?: { readyToUse?: boolean; creationTime?: string; size?: string; error?: { message: string } };
}

/** Creates an ETCDSnapshotFile and writes its status, as RKE2's etcd controller does after a save. */
export async function createSnapshotFile(
  clusters: TestClusters,
  context: string,
  object: SnapshotFileObject,
): Promise<void> {
  const file = join(clusters.dir, `esf-${context}-${object.name}.yaml`);
  await writeFile(
    file,
    stringify({
      apiVersion: "k3s.cattle.io/v1",
      kind: "ETCDSnapshotFile",
      metadata: { name: object.name },
      spec: { snapshotName: object.snapshotName, nodeName: object.nodeName, location: object.location },
    }),
  );
  await clusters.kubectl(context, "apply", "-f", file);
  if (object.status)
    await clusters.kubectl(
      context,
      "patch",
      "etcdsnapshotfile",
      object.name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: object.status }),
    );
}
