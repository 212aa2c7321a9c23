import { createHash } from "node:crypto";
import type { V1Job, V1Volume } from "@kubernetes/client-node";
import type { EtcdJobConfig } from "../../domain/etcd-source-config.js";
import type { SnapshotTag } from "../../ports/etcd-snapshots.js";
import { RUN_ID_LABEL } from "../../ports/site.js";
import { STEP_LABEL } from "../../ports/velero.js";

/** Labels of drbot's etcd snapshot Jobs: which source, and the run and step that asked (when one did). */
export const ETCD_SOURCE_LABEL = "drbot.io/etcd-source";
/** The Job remembers its file and time, so a process taking a run over can follow it. */
export const FILE_ANNOTATION = "drbot.io/etcd-snapshot-file";
export const TAKEN_ANNOTATION = "drbot.io/etcd-snapshot-taken-at";

/** The run and step that asked, as label values (63 characters at most). */
export function jobLabels(tag: SnapshotTag): Record<string, string> {
  return { [RUN_ID_LABEL]: label(tag.runId), [STEP_LABEL]: label(tag.stepId) };
}

export interface SnapshotJobRequest {
  source: string;
  name: string;
  /** The snapshot's file name in the destination. */
  file: string;
  labels: Record<string, string>;
  /** The Job's own deadline (activeDeadlineSeconds): it never runs past the step. */
  deadlineSeconds: number;
}

const CERTS = "/etcd-certs";
const DR = "/dr";

/**
 * The Job that takes an etcd snapshot where the certificates already are: on an etcd node of the
 * site (nodeSelector, tolerations of the control-plane and etcd taints), on the host's network
 * (etcd listens on 127.0.0.1:2379 there), etcd's client certificates mounted read-only from the
 * node into this Job alone, never into drbot. The init container saves the snapshot straight to DR
 * storage (etcdctl writes a .part file and renames it when complete); the main container reads it
 * back with etcdutl, so the Job completes only when the copy in DR storage is a snapshot etcdutl
 * can read. Argument arrays only, no shell; no token, no environment; one attempt (backoffLimit 0),
 * within the step's time (activeDeadlineSeconds); the finished Job is kept a day for people to see.
 */
export function etcdSnapshotJobManifest(job: EtcdJobConfig, request: SnapshotJobRequest): V1Job {
  const labels = {
    "app.kubernetes.io/managed-by": "drbot",
    [ETCD_SOURCE_LABEL]: request.source,
    ...request.labels,
  };
  const hardened = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: request.name, namespace: job.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: request.deadlineSeconds,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          automountServiceAccountToken: false,
          nodeSelector: job.nodeSelector,
          tolerations: [
            { key: "node-role.kubernetes.io/etcd", operator: "Exists" },
            { key: "node-role.kubernetes.io/control-plane", operator: "Exists" },
            { key: "CriticalAddonsOnly", operator: "Exists" },
          ],
          // etcd's client key is root's, mode 0600, on the node: read as root, with every capability dropped.
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
          volumes: [
            { name: "etcd-certs", hostPath: { path: job.certDir, type: "Directory" } },
            destination(job),
          ],
          initContainers: [
            {
              name: "save",
              image: job.image,
              command: ["etcdctl"],
              args: [
                `--endpoints=${job.endpoint}`,
                `--cacert=${CERTS}/${job.caFile}`,
                `--cert=${CERTS}/${job.certFile}`,
                `--key=${CERTS}/${job.keyFile}`,
                "--dial-timeout=10s",
                `--command-timeout=${Math.max(30, request.deadlineSeconds - 30)}s`,
                "snapshot",
                "save",
                `${DR}/${request.file}`,
              ],
              volumeMounts: [
                { name: "etcd-certs", mountPath: CERTS, readOnly: true },
                { name: "dr", mountPath: DR },
              ],
              securityContext: hardened,
            },
          ],
          containers: [
            {
              name: "verify",
              image: job.image,
              command: ["etcdutl"],
              args: ["snapshot", "status", `${DR}/${request.file}`, "--write-out=json"],
              volumeMounts: [{ name: "dr", mountPath: DR, readOnly: true }],
              securityContext: hardened,
            },
          ],
        },
      },
    },
  };
}

function destination(job: EtcdJobConfig): V1Volume {
  const d = job.destination;
  if ("hostPath" in d) return { name: "dr", hostPath: { path: d.hostPath, type: "DirectoryOrCreate" } };
  if ("nfs" in d) return { name: "dr", nfs: { server: d.nfs.server, path: d.nfs.path } };
  return { name: "dr", persistentVolumeClaim: { claimName: d.claimName } };
}

function label(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  if (clean.length <= 63) return clean;
  return `${clean.slice(0, 52)}-${createHash("sha256").update(value).digest("hex").slice(0, 10)}`;
}
