import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash, KubernetesInventory } from "../../../src/adapters/kubernetes/kubernetes-inventory.js";
import type { SiteConfig } from "../../../src/domain/config.js";
import type { NamespaceObjects } from "../../../src/domain/readiness/site-objects.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { applyWidgetCrd, SEEDED_SECRET_VALUE, seedReadinessApp } from "../../support/seed-readiness-app.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The readiness checks' reads of one real cluster: a namespace's pod templates with what they refer
 * to, ConfigMaps as hashes, Secrets by name from a metadata-only answer, RBAC, CRDs and nodes.
 */
let clusters: TestClusters;
let dc1: KubernetesInventory;
let ns: string;
let group: string;

beforeAll(async () => {
  clusters = await startTestClusters();
  ns = clusters.ns("inventory");
  group = `${clusters.ns("inventory")}.example.com`;
  await seedReadinessApp(clusters, "dc1", { name: "payments", namespace: ns, serving: true });
  await applyWidgetCrd(clusters, "dc1", group);
  dc1 = new KubernetesInventory(clusters.config().sites.find((s) => s.name === "dc1") as SiteConfig);
}, 300_000);
afterAll(async () => {
  if (clusters)
    await Promise.all([
      clusters.kubectl("dc1", "delete", "namespace", ns, "--wait=false"),
      clusters.kubectl("dc1", "delete", "crd", `widgets.${group}`, "--ignore-not-found", "--wait=false"),
    ]);
  await clusters?.stop();
});

describe("the inventory of a site", () => {
  it("reads a namespace's pod templates with the ConfigMaps, Secrets, account and node labels they use", async () => {
    const objects = await dc1.readNamespace(ns);
    expect(objects.workloads).toEqual([
      {
        kind: "Deployment",
        namespace: ns,
        name: "payments-api",
        replicas: 2,
        containers: [{ name: "api", image: "registry.example/payments:2.0" }],
        configMaps: [{ name: "payments-config", optional: false }],
        secrets: [{ name: "payments-db", optional: false }],
        serviceAccount: "payments",
        nodeSelector: { "kubernetes.io/os": "linux" },
        nodeAffinity: [],
      },
      expect.objectContaining({
        kind: "CronJob",
        name: "payments-settle",
        containers: [{ name: "settle", image: "registry.example/payments-settle:2.0" }],
      }),
    ]);
    expect(objects.cronJobs).toEqual([
      expect.objectContaining({ name: "payments-settle", suspended: false, schedule: "0 0 1 1 *" }),
    ]);
    expect(objects.configMaps["payments-config"]).toBe(
      contentHash({ data: { mode: "live", ledger: "ledger.internal:5432" } }),
    );
    expect(objects.serviceAccounts).toContain("payments");
    expect(objects.roles["payments-reader"]).toMatch(/^[0-9a-f]{64}$/);
    expect(objects.roleBindings).toEqual([
      {
        name: "payments-reader",
        roleRef: "Role/payments-reader",
        subjects: [`ServiceAccount ${ns}/payments`],
      },
    ]);
  });

  it("lists Secrets by name from a metadata-only answer: their values never reach drbot", async () => {
    const objects = await dc1.readNamespace(ns);
    expect(objects.secrets).toContain("payments-db");
    expect(JSON.stringify(objects)).not.toContain(SEEDED_SECRET_VALUE);
  });

  it("without the right to list Secrets, reads everything else and says their names were not read", async () => {
    // The bot user may list what the inventory reads in this namespace, Secrets excepted: the
    // shipped ClusterRole grants no Secrets (RBAC cannot grant names without values).
    await clusters.kubectl(
      "dc1",
      "create",
      "role",
      "inventory-no-secrets",
      "-n",
      ns,
      "--verb=list",
      "--resource=deployments.apps,statefulsets.apps,cronjobs.batch,configmaps,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io",
    );
    await clusters.kubectl(
      "dc1",
      "create",
      "rolebinding",
      "inventory-no-secrets",
      "-n",
      ns,
      "--role=inventory-no-secrets",
      "--user=drbot-bot",
    );
    const site = clusters.config().sites.find((s) => s.name === "dc1") as SiteConfig;
    const bot = new KubernetesInventory({
      ...site,
      kubeconfig: { path: clusters.kubeconfigPath, context: clusters.botContexts.dc1, inCluster: false },
    });
    // RBAC's authorizer learns of the new binding from its informer: read until it has.
    let objects: NamespaceObjects | undefined;
    let refused: unknown;
    await waitFor(
      async () => {
        objects = await bot.readNamespace(ns).then(
          (read) => read,
          (error: unknown) => {
            refused = error;
            return undefined;
          },
        );
        return objects !== undefined;
      },
      {
        timeoutMs: 10_000,
        intervalMs: 200,
        description: `the bot's new rights to apply (last: ${String(refused)})`,
      },
    );
    if (!objects) throw new Error("unreachable: waitFor returned without a reading");
    expect(objects.workloads.map((w) => w.name)).toEqual(["payments-api", "payments-settle"]);
    expect(objects.secrets).toEqual([]);
    expect(objects.secretsUnread).toBe(`drbot may not list Secrets in ${ns} on dc1`);
  });

  it("reads a namespace that does not exist as empty, and the CRDs and nodes of the site", async () => {
    const empty = await dc1.readNamespace(clusters.ns("never-created"));
    expect(empty).toMatchObject({ workloads: [], secrets: [], configMaps: {} });
    expect(await dc1.listCrds()).toContainEqual({ name: `widgets.${group}`, served: ["v1"] });
    const nodes = await dc1.listNodes();
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes[0]!.labels.datacenter).toBe("dc1");
  });

  it("gives up at the site's deadline on an API server that never answers", async () => {
    const hung = await clusters.hangEndpoint();
    const site = {
      ...(clusters.config().sites[0] as SiteConfig),
      kubeconfig: { path: hung.kubeconfigPath, context: "hung", inCluster: false },
    };
    const inventory = new KubernetesInventory(site, { timeoutMs: 300 });
    await expect(inventory.readNamespace(ns)).rejects.toMatchObject({ code: "timeout" });
  });
});
