import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { EtcdSnapshotService } from "../../src/adapters/etcd/etcd-snapshot-service.js";
import { ExecaCommandRunner } from "../../src/adapters/execa/execa-command-runner.js";
import { KubernetesSite } from "../../src/adapters/kubernetes/kubernetes-site.js";
import { readLonghornRpo } from "../../src/adapters/longhorn/read-longhorn-rpo.js";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { readVeleroRpo } from "../../src/adapters/velero/read-velero-rpo.js";
import type { Config } from "../../src/domain/config.js";
import { k8sDeleteNamespaceStep } from "../../src/engine/step-kinds/k8s-delete-namespace.js";
import { k8sScaleStep } from "../../src/engine/step-kinds/k8s-scale.js";
import { longhornBackupStep } from "../../src/engine/step-kinds/longhorn-backup.js";
import { longhornStandbyStep } from "../../src/engine/step-kinds/longhorn-standby.js";
import { veleroBackupStep } from "../../src/engine/step-kinds/velero-backup.js";
import { veleroStorageLocationStep } from "../../src/engine/step-kinds/velero-storage-location.js";
import {
  kubernetesSites,
  longhornSites,
  type Runtime,
  veleroSites,
} from "../../src/runtime/create-runtime.js";
import { kubernetesInventories } from "../../src/runtime/site-services.js";
import { startLonghorn } from "../support/backup-servers.js";
import { createSnapshotFile, installEtcdSnapshotFileCrd } from "../support/etcd-snapshot-file-crd.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import { type FakeLonghorn, SharedBackupTarget } from "../support/longhorn-controller.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { readPaymentsReplicas, seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import { startShippedDrill } from "../support/start-shipped-drill.js";
import { stepContext } from "../support/step-context.js";
import { waitFor } from "../support/wait-for.js";

/**
 * deploy/target-cluster/drbot-access.yaml is the only right drbot gets on a target cluster. It is
 * applied to both test clusters as written and its ClusterRole bound to the clusters' bot token
 * users, which have no other right; drbot then runs the shipped runbooks' steps through those
 * tokens (Kubernetes, Velero, Longhorn and external-dns objects alike), so a rule the manifest lacks
 * fails here with `forbidden` instead of during a failover. Velero is real (one server per cluster,
 * with the admin context as its own service account would have, sharing one bucket); a test
 * controller plays Longhorn's manager.
 */
const MIN = 60_000;
const ACCESS = "deploy/target-cluster/drbot-access.yaml";

let clusters: TestClustersWithVelero;
let longhorn: FakeLonghorn;
/** The daily schedule's backup DC1 took, synced to DC2. */
let dailyBackup: string;
let work: string;
let configFile: string;
/** The drbot configuration with both sites reached through the bot token users. */
let botConfig: Config;

/**
 * The manifest as shipped, plus bindings of its ClusterRole and of its etcd snapshot Role (in
 * drbot-etcd) to the bot token user (drbot-bot), where the manifest binds drbot's service account.
 */
async function grantDrbotAccess(context: "dc1" | "dc2"): Promise<void> {
  await clusters.kubectl(context, "apply", "-f", ACCESS);
  await clusters.kubectl(
    context,
    "create",
    "clusterrolebinding",
    "drbot-test-bot",
    "--clusterrole=drbot",
    "--user=drbot-bot",
  );
  await clusters.kubectl(
    context,
    "create",
    "rolebinding",
    "drbot-test-bot",
    "--namespace=drbot-etcd",
    "--role=drbot-etcd-snapshots",
    "--user=drbot-bot",
  );
  await clusters.kubectl(
    context,
    "create",
    "rolebinding",
    "drbot-test-bot",
    "--namespace=velero",
    "--role=drbot-velero-restore-modifiers",
    "--user=drbot-bot",
  );
}

function rawBotConfig(): Record<string, unknown> {
  const base = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
    slack: { permissions: Record<string, unknown> };
  };
  const bot = clusters.botContexts;
  return {
    ...base,
    slack: {
      ...base.slack,
      permissions: { ...base.slack.permissions, verify: { requesters: { users: ["U0ONCALL"] } } },
    },
    sites: base.sites.map((s) => ({
      ...s,
      kubeconfig: { path: clusters.kubeconfigPath, context: bot[s.name as "dc1" | "dc2"] },
      requestTimeout: "10s",
    })),
    applications: base.applications.map((a) => ({
      ...a,
      dataSources: ["velero-daily", "longhorn-critical"],
    })),
    dataSources: [
      { name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" },
      { name: "longhorn-critical", kind: "longhorn", site: "dc2", volumes: ["payments-data"] },
    ],
    dns: {
      provider: { kind: "external-dns", site: "dc2", namespace: clusters.ns("dns") },
      records: [
        {
          name: "payments.example.com",
          applications: ["payments"],
          type: "CNAME",
          ttl: 60,
          weights: { dc1: 100, dc2: 0 },
          targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
        },
      ],
    },
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-access-"));
  clusters = await startTestClustersWithVelero();
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

  // Velero: DC1's daily schedule over the payments namespaces, one backup taken and synced to DC2.
  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    `--include-namespaces=${clusters.ns("production")},${clusters.ns("staging")}`,
  );
  dailyBackup = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  await clusters.velero.waitForBackup("dc2", dailyBackup, 3 * MIN);

  // Longhorn on DC2: the standby volume of payments-data, restored from a backup 2 minutes old.
  longhorn = await startLonghorn(clusters, "dc2");
  await longhorn.backup("payments-data", "backup-payments-1", "Completed", iso(Date.now() - 2 * MIN));
  await longhorn.backupVolume("payments-data", "backup-payments-1", iso(Date.now() - 2 * MIN));
  await longhorn.drVolume({
    name: "payments-data",
    lastBackup: "backup-payments-1",
    lastBackupAt: iso(Date.now() - 2 * MIN),
  });
  await longhorn.recurringJob("backup-hourly", "0 * * * *", ["default"]);

  // external-dns on DC2.
  await installDnsEndpointCrd(clusters, "dc2");
  await clusters.kubectl("dc2", "create", "namespace", clusters.ns("dns"));

  await grantDrbotAccess("dc1");
  await grantDrbotAccess("dc2");
  const raw = rawBotConfig();
  botConfig = clusters.config(raw);
  configFile = join(work, "drbot.yaml");
  await writeFile(configFile, stringify(raw));
}, 600_000);

afterAll(async () => {
  // The bot token users have no rights again (this file's clusters are its own; said for whoever reuses them).
  for (const context of ["dc1", "dc2"] as const) {
    await clusters?.kubectl(context, "delete", "clusterrolebinding", "drbot-test-bot", "--ignore-not-found");
    await clusters?.kubectl(
      context,
      "delete",
      "rolebinding",
      "drbot-test-bot",
      "-n",
      "drbot-etcd",
      "--ignore-not-found",
    );
  }
  longhorn?.stop();
  await clusters?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const runtime = () =>
  createProvenRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    store: new MemoryRunStore({ now: () => Date.now() }),
  });

const TERMINAL = ["completed", "completed_with_exceptions", "paused_failed_step", "failed", "aborted"];

/** Waits for a run to end and returns its state and every step that did not succeed. */
async function finish(rt: Runtime, runId: string, timeoutMs: number) {
  await waitFor(async () => TERMINAL.includes((await rt.store.getRun(runId))!.state), {
    timeoutMs,
    intervalMs: 100,
    description: `run ${runId} to end`,
  });
  const steps = await rt.store.getSteps(runId);
  return {
    state: (await rt.store.getRun(runId))!.state,
    steps,
    notSucceeded: [...steps.values()].filter((s) => s.status !== "succeeded"),
  };
}

const replicas = (context: "dc1" | "dc2", ns: "production" | "staging") =>
  readPaymentsReplicas(clusters, context, ns);

describe("drbot's rights on a target cluster (deploy/target-cluster/drbot-access.yaml)", () => {
  it("are needed: a token user without them fails the step with forbidden", async () => {
    // The readonly token user may only read Deployments: the same step as below, a right short.
    const config = clusters.config();
    const readonly = new KubernetesSite({
      ...config.sites[1]!,
      kubeconfig: { path: clusters.kubeconfigPath, context: clusters.readonlyContexts.dc2, inCluster: false },
    });
    const ctx = stepContext(config, { services: { sites: { site: () => readonly } } });
    await expect(
      k8sScaleStep.execute(
        ctx,
        k8sScaleStep.params.parse({
          site: "dc2",
          namespace: clusters.ns("production"),
          name: "payments-api",
          replicas: 1,
        }),
      ),
    ).rejects.toMatchObject({ code: "forbidden", details: { reason: "forbidden", site: "dc2" } });
  });

  it("let the shipped drill run end to end: snapshots, isolation, scale, wait, diff, unisolate, verify-clean", async () => {
    const rt = await runtime();
    try {
      const run = await startShippedDrill(rt, "access check");
      const done = await finish(rt, run.id, 90_000);
      expect(done.state, JSON.stringify(done.notSucceeded)).toBe("completed");
      expect(done.notSucceeded).toEqual([]);
      const kinds = new Set(run.plan.steps.map((s) => s.kind));
      for (const kind of ["k8s.snapshot", "k8s.isolate", "k8s.scale", "k8s.wait-ready", "k8s.diff"])
        expect(kinds).toContain(kind);
      expect(done.steps.get("verify-clean")!.output).toContain(`nothing labelled with ${run.id} remains`);
      for (const ns of [clusters.ns("production"), clusters.ns("staging")])
        expect(await clusters.kubectl("dc2", "get", "networkpolicy", "-n", ns, "-o", "name")).toBe("");
    } finally {
      await rt.close();
    }
  }, 120_000);

  it("let the shipped failover run end to end: health, capacity, fence, Longhorn, Velero, scale, wait, DNS", async () => {
    const rt = await runtime();
    try {
      const { run } = await rt.service.request({
        actor: "U0ONCALL",
        runbook: "failover",
        targets: ["payments"],
        reason: "access check",
        source: "cli",
      });
      for (const approver of ["U0A1", "U0A2"])
        await rt.service.approve({ actor: approver, runId: run.id, planHash: run.plan.hash });
      const done = await finish(rt, run.id, 180_000);
      expect(done.state, JSON.stringify(done.notSucceeded)).toBe("completed");
      // DC1 answers: the planned path; the emergency path's steps are skipped by their condition.
      expect(done.notSucceeded.filter((s) => s.resolvedBy !== "condition")).toEqual([]);
      expect(done.notSucceeded.map((s) => s.id)).toEqual([
        "fence-primary-backups",
        "fence-primary",
        "fence-primary-databases",
      ]);
      for (const step of [
        "dr-site-health",
        "dr-capacity",
        "probe-primary",
        "scale-primary-down",
        "primary-backups-read-only",
        "activate-volumes",
        "restore-backup",
        "dr-backups-writable",
        `scale-up.${clusters.ns("production")}.payments-api`,
        `wait-ready.${clusters.ns("production")}.payments-api`,
        "switch-dns",
      ])
        expect(done.steps.get(step)?.status, step).toBe("succeeded");
      expect(done.steps.get("scale-primary-down")!.output).toContain("fenced dc1: 2 workload(s) scaled to 0");

      // What the bot did, read back with the admin contexts.
      expect(await replicas("dc1", "production")).toBe("0/");
      expect(await replicas("dc2", "production")).toBe("3/3");
      expect(
        await clusters.kubectl(
          "dc2",
          "get",
          "volumes.longhorn.io",
          "payments-data",
          "-n",
          "longhorn-system",
          "-o",
          "jsonpath={.spec.Standby}/{.status.isStandby}",
        ),
      ).toBe("false/false");
      expect(
        await clusters.kubectl(
          "dc2",
          "get",
          "restores.velero.io",
          "-n",
          "velero",
          "-o",
          "jsonpath={.items[*].spec.backupName}",
        ),
      ).toBe(dailyBackup);
      // Velero's warnings about DR's kept copies were read through a DownloadRequest and the bucket.
      expect(done.steps.get("restore-backup")!.output).toContain("every warning is one the runbook accepts");
      for (const [cluster, mode] of [
        ["dc1", "ReadOnly"],
        ["dc2", "ReadWrite"],
      ] as const)
        expect(
          await clusters.kubectl(
            cluster,
            "get",
            "backupstoragelocation",
            "default",
            "-n",
            "velero",
            "-o",
            "jsonpath={.spec.accessMode}",
          ),
        ).toBe(mode);
      expect(
        await clusters.kubectl(
          "dc2",
          "get",
          "dnsendpoints",
          "-n",
          clusters.ns("dns"),
          "-o",
          "jsonpath={.items[*].metadata.name}",
        ),
      ).not.toBe("");
    } finally {
      await rt.close();
    }
  }, 240_000);

  it("let the other steps and readings work: Velero backup on demand, scratch namespace deletion, RPO", async () => {
    const ctx = stepContext(botConfig, {
      services: { sites: kubernetesSites(botConfig), velero: veleroSites(botConfig) },
    });
    // failback's backup of DR on demand, into DR's location made writable first
    const writable = await veleroStorageLocationStep.execute(
      ctx,
      veleroStorageLocationStep.params.parse({ site: "dc2", accessMode: "ReadWrite" }),
    );
    expect(writable, JSON.stringify(writable)).toMatchObject({ status: "succeeded" });
    const backup = await veleroBackupStep.execute(
      ctx,
      veleroBackupStep.params.parse({ site: "dc2", namespaces: [clusters.ns("production")] }),
    );
    expect(backup, JSON.stringify(backup)).toMatchObject({ status: "succeeded" });
    // the monthly restore test's clean-up
    const scratch = clusters.ns("drbot-restore-production");
    await clusters.kubectl("dc2", "create", "namespace", scratch);
    const deleted = await k8sDeleteNamespaceStep.execute(
      ctx,
      k8sDeleteNamespaceStep.params.parse({ site: "dc2", namespace: scratch }),
    );
    expect(deleted).toEqual({ status: "succeeded", output: `deleted ${scratch} on dc2` });
    // the RPO readings of status and of the approval card
    const [veleroSource, longhornSource] = botConfig.dataSources as [
      Extract<Config["dataSources"][number], { kind: "velero" }>,
      Extract<Config["dataSources"][number], { kind: "longhorn" }>,
    ];
    const now = Date.now();
    const readings = await Promise.all([
      readVeleroRpo(veleroSource, veleroSites(botConfig), now),
      readLonghornRpo(longhornSource, longhornSites(botConfig), now),
    ]);
    for (const reading of readings) {
      expect(reading.detail).not.toMatch(/forbidden/i);
      expect(reading.exposureMs, reading.detail).toBeGreaterThan(0);
      expect(reading.exposureMs!).toBeLessThan(60 * MIN);
    }
  }, 120_000);

  it("let the readiness checks read each site: a namespace's objects, Secrets' names only where granted per namespace, CRDs, nodes", async () => {
    const inventories = kubernetesInventories(botConfig);
    const ns = clusters.ns("production");
    for (const site of ["dc1", "dc2"] as const) {
      const inventory = inventories.inventory(site);
      const objects = await inventory.readNamespace(ns);
      expect(objects.workloads.map((w) => w.name)).toContain("payments-api");
      expect(objects.secretsUnread).toBe(`drbot may not list Secrets in ${ns} on ${site}`);
      expect(await inventory.listCrds()).toContainEqual(
        expect.objectContaining({ name: "backups.velero.io" }),
      );
      expect((await inventory.listNodes()).length).toBeGreaterThan(0);
    }
    // Granted in the application's namespace as the manifest's comment shows: the names are listed.
    await clusters.kubectl(
      "dc2",
      "-n",
      ns,
      "create",
      "role",
      "drbot-secret-names",
      "--verb=list",
      "--resource=secrets",
    );
    await clusters.kubectl(
      "dc2",
      "-n",
      ns,
      "create",
      "rolebinding",
      "drbot-secret-names",
      "--role=drbot-secret-names",
      "--user=drbot-bot",
    );
    await waitFor(
      async () => (await inventories.inventory("dc2").readNamespace(ns)).secretsUnread === undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 200,
        description: "the Secrets' names to be listed once granted in the namespace",
      },
    );
  });

  it("let drbot read RKE2's etcd snapshot list and take its own snapshot as a Job on the etcd node", async () => {
    // dc1 is RKE2: its ETCDSnapshotFile list holds a snapshot taken an hour ago; one node runs etcd.
    const hourAgo = Date.now() - 60 * MIN;
    await installEtcdSnapshotFileCrd(clusters, "dc1");
    await createSnapshotFile(clusters, "dc1", {
      name: "local-etcd-snapshot-dc1-server-0",
      snapshotName: `etcd-snapshot-dc1-server-0-${Math.floor(hourAgo / 1000)}`,
      nodeName: "dc1-server-0",
      location: "file:///var/lib/rancher/rke2/server/db/snapshots/etcd-snapshot-dc1-server-0",
      status: { readyToUse: true, creationTime: new Date(hourAgo).toISOString(), size: "5Mi" },
    });
    await clusters.kubectl("dc1", "label", "node", "dc1-node-0", "node-role.kubernetes.io/etcd=true");
    try {
      const raw = rawBotConfig();
      const config = clusters.config({
        ...raw,
        dataSources: [
          ...(raw.dataSources as unknown[]),
          {
            name: "etcd-dc1",
            kind: "etcd",
            snapshotFiles: { site: "dc1" },
            job: {
              site: "dc1",
              image: "registry.k8s.io/etcd:3.6.16-0",
              destination: { hostPath: "/var/lib/drbot-dr/etcd" },
            },
          },
        ],
      });
      const etcd = new EtcdSnapshotService(config, new ExecaCommandRunner(), { pollMs: 200 });
      const [reading] = await etcd.readRpo(Date.now());
      expect(reading!.detail).not.toMatch(/forbidden/i);
      expect(reading!.exposureMs, reading!.detail).toBeGreaterThanOrEqual(60 * MIN - 1_000);

      // KWOK completes the Job's pod without running it; the rights to create and follow it are real.
      const tag = { runId: "access-test", stepId: "etcd-snapshot" };
      const report = await etcd.take("etcd-dc1", {
        signal: AbortSignal.timeout(90_000),
        timeoutMs: 60_000,
        tag,
      });
      expect(report.endpoint).toMatch(/^Job drbot-etcd\/drbot-etcd-etcd-dc1-.* on dc1-node-0$/);
      const found = await etcd.findTagged("etcd-dc1", tag, AbortSignal.timeout(30_000));
      expect(found.found, found.evidence).toBe(true);
    } finally {
      await clusters.kubectl("dc1", "label", "node", "dc1-node-0", "node-role.kubernetes.io/etcd-");
    }
  }, 180_000);

  it("let the failback reverse Longhorn: back a volume up, then make it a DR volume of that backup", async () => {
    // The two sites' Longhorn managers share one backup target (test controller, not Longhorn).
    longhorn.shareTarget(new SharedBackupTarget());
    await longhorn.activeVolume("reverse-data");
    await longhorn.setVolumeState("reverse-data", "detached");
    const ctx = stepContext(botConfig, {
      services: { longhorn: longhornSites(botConfig), siteState: new MemorySiteState() },
    });
    const backup = await longhornBackupStep.execute(
      ctx,
      longhornBackupStep.params.parse({ site: "dc2", volumes: ["reverse-data"] }),
    );
    expect(backup, JSON.stringify(backup)).toMatchObject({ status: "succeeded" });
    const standby = await longhornStandbyStep.execute(
      ctx,
      longhornStandbyStep.params.parse({ site: "dc2", volumes: ["reverse-data"], fromStep: ctx.step.id }),
    );
    expect(standby, JSON.stringify(standby)).toMatchObject({ status: "succeeded" });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "volumes.longhorn.io",
        "reverse-data",
        "-n",
        "longhorn-system",
        "-o",
        "jsonpath={.spec.Standby}/{.status.isStandby}",
      ),
    ).toBe("true/true");
  }, 120_000);

  it("let the shipped restore test run end to end: sandbox and its policy, restore held at 0 with its modifiers, verification, cleanup", async () => {
    const rt = await runtime();
    try {
      const { run } = await rt.service.request({
        actor: "U0ONCALL",
        runbook: "restore-test",
        targets: ["payments"],
        reason: "access check",
        source: "cli",
      });
      const done = await finish(rt, run.id, 120_000);
      expect(done.state, JSON.stringify(done.notSucceeded)).toBe("completed");
      expect(done.steps.get("compare")!.output).toContain("everything the backups hold is restored");
      expect(done.steps.get("verify-clean")!.output).toContain(`nothing labelled with ${run.id} remains`);
      expect(await clusters.kubectl("dc2", "get", "namespaces", "-o", "name")).not.toContain(
        "drbot-restore-",
      );
    } finally {
      await rt.close();
    }
  }, 180_000);
});
