import { z } from "zod";
import type { NetworkPolicyShape } from "./network-policy.js";

/**
 * The restore test's sandbox: an application's newest backup is restored into scratch namespaces on
 * the DR site that can reach nothing outside themselves but DNS, with its workloads held at 0
 * replicas (or the configured number), and without what could act on the world or collide with
 * production (Ingresses and their hosts, CronJobs and Jobs that would run, Secrets with real
 * credentials) unless the application's configuration includes them.
 */

/** What the restore test may restore on request, as Velero names the resources. */
export const SANDBOX_OPTIONAL_RESOURCES = {
  ingresses: "ingresses.networking.k8s.io",
  cronjobs: "cronjobs.batch",
  jobs: "jobs.batch",
  secrets: "secrets",
} as const;
export type SandboxOptionalResource = keyof typeof SANDBOX_OPTIONAL_RESOURCES;

/**
 * What Velero must not restore into a sandbox whatever the configuration says: pods and ReplicaSets
 * (the restored Deployments make their own, at the sandbox's replicas).
 */
export const SANDBOX_NEVER_RESTORED = ["pods", "replicasets.apps"] as const;

/** An application's restore test, as written (restoreTestSchema adds the default of a missing one). */
export const restoreTestObject = z
  .object({
    /** Replicas of every restored Deployment and StatefulSet in the sandbox; 0 starts nothing. */
    replicas: z.number().int().min(0).max(100).default(0),
    /** Restored too, though left out by default: ingresses, cronjobs, jobs, secrets. */
    include: z
      .array(
        z.enum(
          Object.keys(SANDBOX_OPTIONAL_RESOURCES) as [SandboxOptionalResource, ...SandboxOptionalResource[]],
        ),
      )
      .default([]),
  })
  .strict();

export const restoreTestSchema = restoreTestObject.prefault({});

export type RestoreTestConfig = z.output<typeof restoreTestSchema>;

/** The resources Velero leaves out of an application's sandbox, as velero.restore's excludeResources. */
export function sandboxExclusions(restoreTest: RestoreTestConfig): string[] {
  const optional = (Object.keys(SANDBOX_OPTIONAL_RESOURCES) as SandboxOptionalResource[])
    .filter((r) => !restoreTest.include.includes(r))
    .map((r) => SANDBOX_OPTIONAL_RESOURCES[r]);
  return [...SANDBOX_NEVER_RESTORED, ...optional];
}

/** Where the site's DNS servers run, as pod and namespace labels. */
export interface DnsServers {
  namespace: string;
  podLabels: Readonly<Record<string, string>>;
}

/**
 * The sandbox's one policy: its pods accept connections only from pods of the same namespace and
 * open them only to pods of the same namespace and to the cluster's DNS servers on port 53. Nothing
 * else, inside the cluster or outside it.
 */
export function sandboxPolicy(namespace: string, dns: DnsServers): NetworkPolicyShape {
  const own = { why: `pods of ${namespace} itself`, peers: [{ podSelector: {} }], ports: [] };
  const dnsLabels = Object.entries(dns.podLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return {
    role: "sandbox",
    purpose: `restore test sandbox ${namespace}: nothing in or out but its own pods, and DNS`,
    ingress: [own],
    egress: [
      own,
      {
        why: `DNS (${dns.namespace} pods ${dnsLabels}, port 53)`,
        peers: [
          {
            namespaceSelector: { "kubernetes.io/metadata.name": dns.namespace },
            podSelector: dns.podLabels,
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  };
}

/**
 * Velero's resource modifiers for a sandbox restore (its `resourceModifierRules`, applied to each
 * object before Velero creates it): every Deployment and StatefulSet arrives with the sandbox's
 * replicas, and CronJobs and Jobs, when they are restored at all, arrive suspended. So no restored
 * workload ever exists at its backed-up replicas, not even between the restore and a scale-down.
 * Merge patches, so a field the backup lacks is set as well.
 */
export interface ResourceModifierRule {
  /** Velero's groupResource: "deployments.apps". */
  groupResource: string;
  /** A JSON merge patch. */
  mergePatch: Readonly<Record<string, unknown>>;
}

export function sandboxModifiers(restoreTest: RestoreTestConfig): ResourceModifierRule[] {
  const replicas = { spec: { replicas: restoreTest.replicas } };
  const suspended = { spec: { suspend: true } };
  return [
    { groupResource: "deployments.apps", mergePatch: replicas },
    { groupResource: "statefulsets.apps", mergePatch: replicas },
    ...(restoreTest.include.includes("cronjobs")
      ? [{ groupResource: SANDBOX_OPTIONAL_RESOURCES.cronjobs, mergePatch: suspended }]
      : []),
    ...(restoreTest.include.includes("jobs")
      ? [{ groupResource: SANDBOX_OPTIONAL_RESOURCES.jobs, mergePatch: suspended }]
      : []),
  ];
}
