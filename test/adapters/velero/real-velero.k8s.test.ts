import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { readVeleroRpo } from "../../../src/adapters/velero/read-velero-rpo.js";
import { VeleroSite } from "../../../src/adapters/velero/velero-site.js";
import { statusText } from "../../../src/cli/render-text.js";
import type { DataSourceConfig } from "../../../src/domain/config.js";
import type { RestoreInfo } from "../../../src/domain/velero.js";
import type { VeleroServices } from "../../../src/ports/velero.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../../support/k8s-testenv.js";
import { seedPaymentsDeployments, seedPaymentsObjects } from "../../support/seed-payments-deployments.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The Velero adapter against real Velero: one server per cluster, out of cluster, sharing one bucket
 * on a local S3 server (versitygw), DC1's location read-write and DC2's read-only
 * (`scripts/testenv up --velero`). DC1 runs the strategy's `daily-backup` schedule (script 03) over
 * production and staging. What is backed up and restored is the API objects: KWOK runs no
 * containers, so there are no volumes, as in the strategy's resource backups.
 */
let clusters: TestClustersWithVelero;
let dc1: VeleroSite;
let dc2: VeleroSite;
/** The schedule's backup taken at the start, Completed on DC1 and synced to DC2. */
let first: string;
/** This file's namespaces (clusters.ns): production and staging, a sandbox, one that refuses ConfigMaps. */
let PROD: string;
let STAGING: string;
let SANDBOX: string;
let REFUSING: string;

const velero: VeleroServices = { velero: (site) => (site === "dc1" ? dc1 : dc2) };
const source: Extract<DataSourceConfig, { kind: "velero" }> = {
  name: "velero-daily",
  kind: "velero",
  site: "dc2",
  namespace: "velero",
  schedule: "daily-backup",
};
const MINUTE = 60_000;

beforeAll(async () => {
  clusters = await startTestClustersWithVelero();
  [PROD, STAGING, SANDBOX, REFUSING] = ["production", "staging", "drbot-restore-production", "refusing"].map(
    (name) => clusters.ns(name),
  ) as [string, string, string, string];
  const config = clusters.config();
  dc1 = new VeleroSite(config.sites.find((s) => s.name === "dc1")!, { timeoutMs: 10_000 });
  dc2 = new VeleroSite(config.sites.find((s) => s.name === "dc2")!, { timeoutMs: 10_000 });
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsObjects(clusters, "dc1");
  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    "--ttl=720h",
    `--include-namespaces=${PROD},${STAGING}`,
  );
  first = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  await clusters.velero.waitForBackup("dc2", first, 3 * MINUTE);
}, 6 * MINUTE);

afterAll(async () => {
  await clusters?.stop();
});

async function restoreOnDc2(
  name: string,
  options: { policy: "none" | "update"; namespaces?: string[]; mapping?: Record<string, string> },
): Promise<RestoreInfo> {
  await dc2.createRestore({
    name,
    backupName: first,
    includedNamespaces: options.namespaces ?? [PROD, STAGING],
    existingResourcePolicy: options.policy,
    labels: {},
    ...(options.mapping ? { namespaceMapping: options.mapping } : {}),
  });
  let done: RestoreInfo | undefined;
  await waitFor(
    async () => {
      done = await dc2.getRestore(name);
      return ["Completed", "PartiallyFailed", "Failed", "FailedValidation"].includes(done?.phase ?? "");
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 250, description: `restore ${name} to finish on dc2` },
  );
  return done!;
}

const get = (cluster: "dc1" | "dc2", ...args: string[]) => clusters.kubectl(cluster, "get", ...args);

/**
 * drbot's runtime on these clusters with the payments application protected by the daily-backup
 * schedule, read from DC2's Velero: `text()` is `drbot status` as the terminal prints it.
 */
async function statusWithVelero(): Promise<{ text(): Promise<string>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-real-velero-status-"));
  const configFile = join(dir, "drbot.yaml");
  const base = clusters.rawConfig() as { applications: Record<string, unknown>[] };
  await writeFile(
    configFile,
    stringify({
      ...base,
      applications: base.applications.map((a) => ({ ...a, dataSources: ["velero-daily"] })),
      dataSources: [{ name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" }],
    }),
  );
  const rt = await createRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    store: new MemoryRunStore({ now: () => Date.now() }),
    autoStart: false,
  });
  return {
    text: async () => statusText(await rt.service.status()),
    async close() {
      await rt.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe("real Velero through drbot's adapter", () => {
  it("sees the schedule's backup on DC1, labelled and Completed, and on DC2 once its location has synced the bucket", async () => {
    const onDc1 = (await dc1.listBackups({ labelSelector: "velero.io/schedule-name=daily-backup" })).find(
      (b) => b.name === first,
    );
    expect(onDc1).toMatchObject({ schedule: "daily-backup", phase: "Completed", errors: 0 });
    expect(onDc1?.includedNamespaces).toEqual([PROD, STAGING]);
    const onDc2 = await dc2.getBackup(first);
    expect(onDc2).toMatchObject({ schedule: "daily-backup", phase: "Completed", storageLocation: "default" });
    expect(onDc2?.startedAt).toBe(onDc1?.startedAt);
    expect(await dc2.listStorageLocations()).toEqual([
      expect.objectContaining({
        name: "default",
        phase: "Available",
        accessMode: "ReadOnly",
        isDefault: true,
      }),
    ]);
  });

  it(
    "takes backups by the daily-backup Schedule itself when its time comes, of the scope's namespaces, synced to DC2",
    async () => {
      // Velero runs a Schedule by its cron only (not when it is created): the schedule is made due
      // every minute until its first run, then put back to 02:00.
      const cron = (expression: string) =>
        clusters.kubectl(
          "dc1",
          "patch",
          "schedules.velero.io",
          "daily-backup",
          "-n",
          "velero",
          "--type=merge",
          "-p",
          JSON.stringify({ spec: { schedule: expression } }),
        );
      const lastRun = async () =>
        (
          JSON.parse(
            await get("dc1", "schedules.velero.io", "daily-backup", "-n", "velero", "-o", "json"),
          ) as { status?: { lastBackup?: string } }
        ).status?.lastBackup;
      await cron("* * * * *");
      try {
        await waitFor(async () => (await lastRun()) !== undefined, {
          timeoutMs: 3 * MINUTE,
          intervalMs: 1_000,
          description: "the Schedule's first run",
        });
      } finally {
        await cron("0 2 * * *");
      }
      // Besides `first` (taken with --from-schedule), the Schedule's own backups.
      const own = (await dc1.listBackups({ labelSelector: "velero.io/schedule-name=daily-backup" }))
        .filter((b) => b.name !== first)
        .sort((x, y) => y.createdAt - x.createdAt);
      expect(own.length).toBeGreaterThan(0);
      const scheduled = own[0]!.name;
      expect(scheduled).toMatch(/^daily-backup-\d{14}$/);
      await clusters.velero.waitForBackup("dc1", scheduled, 2 * MINUTE);
      expect(await dc1.getBackup(scheduled)).toMatchObject({
        schedule: "daily-backup",
        phase: "Completed",
        errors: 0,
        includedNamespaces: [PROD, STAGING],
      });
      await clusters.velero.waitForBackup("dc2", scheduled, 3 * MINUTE);
    },
    8 * MINUTE,
  );

  it("restores the backup into DC2: Deployments, Services and ConfigMaps appear with their labels and replica counts", async () => {
    const restore = await restoreOnDc2("into-empty-dc2", { policy: "none" });
    expect(restore).toMatchObject({ phase: "Completed", errors: 0, existingResourcePolicy: "none" });
    expect(
      await get(
        "dc2",
        "deployments",
        "-n",
        PROD,
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}",
      ),
    ).toBe("payments-api=3 payments-worker=2 ");
    expect(
      await get("dc2", "deployment", "payments-api", "-n", STAGING, "-o", "jsonpath={.spec.replicas}"),
    ).toBe("2");
    expect(
      await get(
        "dc2",
        "service",
        "payments",
        "-n",
        PROD,
        "-o",
        "jsonpath={.metadata.labels.app}/{.spec.ports[0].port}",
      ),
    ).toBe("payments/80");
    expect(
      await get(
        "dc2",
        "configmap",
        "payments-config",
        "-n",
        STAGING,
        "-o",
        "jsonpath={.metadata.labels.tier}/{.data.ledger}",
      ),
    ).toBe(`tier1/ledger.${STAGING}.internal`);
    // Velero marks what it restored, so anyone can tell where an object came from.
    expect(
      await get(
        "dc2",
        "configmap",
        "payments-config",
        "-n",
        PROD,
        "-o",
        "jsonpath={.metadata.labels.velero\\.io/backup-name}",
      ),
    ).toBe(first);
  });

  it("keeps the site's copy under policy none, and reads Velero's own warning about it", async () => {
    await clusters.kubectl(
      "dc2",
      "patch",
      "configmap",
      "payments-config",
      "-n",
      PROD,
      "--type=merge",
      "-p",
      '{"data":{"version":"dr"}}',
    );
    const restore = await restoreOnDc2("keep-dc2-copy", { policy: "none", namespaces: [PROD] });
    expect(restore.phase).toBe("Completed");
    expect(restore.warnings).toBeGreaterThan(0);
    const results = await dc2.restoreResults(restore.name);
    expect(results?.errors).toEqual({ velero: [], cluster: [], namespaces: {} });
    expect(results?.warnings.namespaces[PROD]).toContain(
      'could not restore, ConfigMap "payments-config" already exists. Warning: the in-cluster version is different than the backed-up version',
    );
    expect(
      await get("dc2", "configmap", "payments-config", "-n", PROD, "-o", "jsonpath={.data.version}"),
    ).toBe("dr");
  });

  it("updates the site's copy to the backup under policy update", async () => {
    const restore = await restoreOnDc2("update-dc2-copy", { policy: "update", namespaces: [PROD] });
    expect(restore).toMatchObject({ existingResourcePolicy: "update", errors: 0 });
    expect(
      await get("dc2", "configmap", "payments-config", "-n", PROD, "-o", "jsonpath={.data.version}"),
    ).toBe("1");
  });

  it("restores into other namespaces with a namespace mapping, beside the originals", async () => {
    const restore = await restoreOnDc2("sandbox", {
      policy: "none",
      namespaces: [PROD],
      mapping: { [PROD]: SANDBOX },
    });
    expect(restore).toMatchObject({
      phase: "Completed",
      errors: 0,
      namespaceMapping: { [PROD]: SANDBOX },
    });
    expect(
      await get("dc2", "deployment", "payments-worker", "-n", SANDBOX, "-o", "jsonpath={.spec.replicas}"),
    ).toBe("2");
  });

  it("ends a restore PartiallyFailed when the site refuses an object, and reads Velero's error about it", async () => {
    // DC2 refuses every new ConfigMap in the namespace (its quota is used up by the one there).
    await clusters.kubectl("dc2", "create", "namespace", REFUSING);
    await clusters.kubectl(
      "dc2",
      "create",
      "quota",
      "no-configmaps",
      "-n",
      REFUSING,
      "--hard=count/configmaps=1",
    );
    await waitFor(
      async () =>
        (await get(
          "dc2",
          "quota",
          "no-configmaps",
          "-n",
          REFUSING,
          "-o",
          "jsonpath={.status.used.count/configmaps}",
        )) === "1",
      { timeoutMs: MINUTE, intervalMs: 250, description: "the quota to count kube-root-ca.crt" },
    );
    const restore = await restoreOnDc2("refused", {
      policy: "none",
      namespaces: [PROD],
      mapping: { [PROD]: REFUSING },
    });
    expect(restore.phase).toBe("PartiallyFailed");
    expect(restore.errors).toBeGreaterThan(0);
    const results = await dc2.restoreResults(restore.name);
    expect(results?.errors.namespaces[REFUSING]?.join("\n")).toMatch(/payments-config.*exceeded quota/);
  });

  it("refuses a backup on DC2 while its location is read-only, and takes it once drbot makes it read-write", async () => {
    const take = async (name: string) => {
      await dc2.createBackup({ name, includedNamespaces: [PROD], ttlMs: 3_600_000, labels: {} });
      await waitFor(
        async () =>
          ["Completed", "FailedValidation", "Failed", "PartiallyFailed"].includes(
            (await dc2.getBackup(name))?.phase ?? "",
          ),
        {
          timeoutMs: 2 * MINUTE,
          intervalMs: 250,
          description: `backup ${name} on dc2 to finish`,
        },
      );
      return (await dc2.getBackup(name))!;
    };
    const refused = await take("dc2-while-read-only");
    expect(refused.phase).toBe("FailedValidation");
    expect(refused.validationErrors.join(" ")).toMatch(/read-only|ReadOnly/i);
    expect(await dc2.setStorageLocationAccess("default", "ReadWrite")).toMatchObject({
      accessMode: "ReadWrite",
    });
    try {
      expect((await take("dc2-read-write")).phase).toBe("Completed");
    } finally {
      await dc2.setStorageLocationAccess("default", "ReadOnly");
    }
  });

  it(
    "says in status that DC1 has a newer backup DC2 has not synced, until DC2's Velero brings it in",
    async () => {
      // DC2's sync off, so "not yet" lasts as long as the test needs it to.
      await clusters.kubectl(
        "dc2",
        "patch",
        "backupstoragelocation",
        "default",
        "-n",
        "velero",
        "--type=merge",
        "-p",
        '{"spec":{"backupSyncPeriod":"0s"}}',
      );
      const before = (await dc2.listBackups({ labelSelector: "velero.io/schedule-name=daily-backup" }))
        .filter((b) => b.phase === "Completed")
        .sort((x, y) => (y.startedAt ?? 0) - (x.startedAt ?? 0))[0]!.name;
      const newer = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
      const lagging = await readVeleroRpo(source, velero, Date.now(), { compareWith: ["dc1", "dc2"] });
      expect(lagging.detail).toMatch(
        new RegExp(`^newest Completed backup of daily-backup on dc2: ${before}`),
      );
      expect(lagging.notice).toMatch(
        new RegExp(`^dc1 has a newer Completed backup, ${newer}, not on dc2 yet`),
      );
      // drbot status, as the on-call engineer reads it: the reading's notice beside the source.
      const status = await statusWithVelero();
      try {
        const veleroLine = async () =>
          (await status.text()).split("\n").find((l) => l.includes("velero-daily")) ?? "";
        const notSynced = new RegExp(
          `^ +velero-daily \\(\\w+\\): .*; dc1 has a newer Completed backup, ${newer}, not on dc2 yet`,
        );
        // A known reading (not missed for its deadline) of the source, as status prints it.
        const knownLine = async () => {
          let line = "";
          await waitFor(
            async () => {
              line = await veleroLine();
              return line !== "" && !line.includes("): unknown: ");
            },
            { timeoutMs: 30_000, intervalMs: 500, description: "drbot status to read velero-daily" },
          );
          return line;
        };
        expect(await knownLine()).toMatch(notSynced);
        await clusters.kubectl(
          "dc2",
          "patch",
          "backupstoragelocation",
          "default",
          "-n",
          "velero",
          "--type=merge",
          "-p",
          '{"spec":{"backupSyncPeriod":"10s"}}',
        );
        await clusters.velero.waitForBackup("dc2", newer, 3 * MINUTE);
        const synced = await readVeleroRpo(source, velero, Date.now(), { compareWith: ["dc1", "dc2"] });
        expect(synced.detail).toBe(`newest Completed backup of daily-backup on dc2: ${newer}`);
        expect(synced.notice).toBeUndefined();
        expect(await knownLine()).not.toContain("not on dc2 yet");
      } finally {
        await status.close();
      }
    },
    5 * MINUTE,
  );

  it("reads the RPO from DC2's Velero while DC1's API server is stopped (the real outage), saying DC1 could not be asked", async () => {
    const newest = (await dc2.listBackups())
      .filter((b) => b.phase === "Completed")
      .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))[0]!;
    await clusters.stopApiServer("dc1");
    try {
      const now = Date.now();
      const reading = await readVeleroRpo(source, velero, now, {
        compareWith: ["dc1", "dc2"],
        signal: AbortSignal.timeout(5_000),
      });
      expect(reading.exposureMs).toBe(now - newest.startedAt!);
      expect(reading.detail).toMatch(
        new RegExp(`^newest Completed backup of daily-backup on dc2: ${newest.name}`),
      );
      expect(reading.notice).toMatch(
        /^could not ask dc1 whether it has newer backups \(site dc1: could not list Velero backups in velero: .*(refused|ECONNREFUSED)/,
      );
      expect(reading.latencyMs).toBeUndefined();
    } finally {
      await clusters.startApiServer("dc1");
    }
  });

  // Last: it takes the clusters down.
  it("is stopped whole by `scripts/testenv down`: the S3 server, both Velero servers and their plugins, nothing left", async () => {
    const testenv = (command: string) =>
      execa("bash", ["scripts/testenv", command], {
        env: { ...process.env, DRBOT_TESTENV_DIR: clusters.dir },
        reject: false,
        timeout: 120_000,
      });
    const status = await testenv("status");
    expect(status.exitCode, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/^dc1 velero +running$/m);
    expect(status.stdout).toMatch(/^dc2 velero +running$/m);
    expect(status.stdout).toMatch(new RegExp(`^s3 +versitygw +running ${clusters.velero.s3Endpoint}$`, "m"));
    // Every process of these clusters names their directory: on its command line, or (Velero's
    // plugins, which it starts as children while it uses the bucket) in its environment (TMPDIR).
    const ours = async () => {
      const found: string[] = [];
      for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
        const [cmdline, environ] = await Promise.all(
          ["cmdline", "environ"].map((f) => readFile(`/proc/${pid}/${f}`, "utf8").catch(() => "")),
        );
        if (cmdline!.includes(clusters.dir) || environ!.includes(clusters.dir))
          found.push(`${pid} ${cmdline!.replace(/\0/g, " ")}`);
      }
      return found;
    };
    expect((await ours()).length).toBeGreaterThan(0);
    const down = await testenv("down");
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await ours()).toEqual([]);
  });
});
