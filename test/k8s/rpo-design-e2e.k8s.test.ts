import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type EtcdSourceConfig, runEtcdSnapshotJob } from "../../src/adapters/etcd/run-etcd-snapshot-job.js";
import { ExecaCommandRunner } from "../../src/adapters/execa/execa-command-runner.js";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../../src/config/environment.js";
import { lastOccurrence } from "../../src/domain/cadence.js";
import { dataSourceSchema } from "../../src/domain/config.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { startLonghorn, startVelero } from "../support/backup-servers.js";
import { type EtcdServer, startEtcdServer } from "../support/etcd-server.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import type { FakeLonghorn } from "../support/longhorn-controller.js";
import { type PostgresPair, startPostgresPair } from "../support/postgres-pair.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import type { VeleroTestController } from "../support/velero-test-controller.js";
import { waitFor } from "../support/wait-for.js";

/**
 * drbot.example.yaml as shipped (tiers, applications, data sources with their cadences and what
 * they protect, permissions), its sources pointed at the local test setup: a streaming PostgreSQL
 * pair, Velero's CRDs on DC2 with its daily-backup Schedule (the test controller plays Velero's
 * server), Longhorn's CRDs on DC2 with the portal and batch volumes' backups (the test controller
 * plays longhorn-manager), and an etcd that requires client certificates, its snapshots in DR
 * storage. Every backup is where its designed schedule puts it: last night's 02:00 Velero backup
 * (hours old, not minutes), the last 6-hourly etcd snapshot, the last 15-minute and 2-hour Longhorn
 * backups. A healthy system then reads green, the failover card asks for no data-loss acceptance
 * and the weekly verification passes; one late Longhorn backup turns exactly its source and tier red.
 *
 * Velero here is the test controller, not real Velero: the test needs backups started at last
 * night's 02:00, and real Velero stamps a backup with the time it takes it. The shipped
 * verification against real Velero is backup-verify-e2e.k8s.test.ts.
 */
const MIN = 60_000;
const DAY = 86_400_000;

let clusters: TestClusters;
let etcd: EtcdServer;
let pg: PostgresPair;
let velero: VeleroTestController;
let longhorn: FakeLonghorn;
let work: string;
let configFile: string;
let rt: Runtime;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

/** The occurrences of a cron, newest first, that finished at least `settle` ago (a backup takes minutes). */
function recentOccurrences(cron: string, count: number, settle = 10 * MIN): number[] {
  const found: number[] = [];
  let before = Date.now() - settle;
  while (found.length < count) {
    const at = lastOccurrence(cron, before)!;
    found.push(at);
    before = at - 1;
  }
  return found;
}

async function longhornBackups(volume: string, cron: string, count: number): Promise<void> {
  const times = recentOccurrences(cron, count);
  for (const [i, at] of times.entries())
    await longhorn.backup(volume, `backup-${volume}-${i}`, "Completed", iso(at + 20_000));
  await longhorn.backupVolume(volume, `backup-${volume}-0`, iso(times[0]! + 20_000));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-rpo-design-"));
  [clusters, etcd, pg] = await Promise.all([startTestClusters(), startEtcdServer(), startPostgresPair()]);
  for (let i = 0; i < 5; i++) await etcd.put(`/registry/configmaps/production/app-${i}`, `v${i}`);
  const example = parse(await readFile("drbot.example.yaml", "utf8")) as {
    dataSources: Record<string, unknown>[];
  } & Record<string, unknown>;
  const designOf = (name: string) => {
    const { cadence, protects, completesWithin } = example.dataSources.find((d) => d.name === name)!;
    return Object.fromEntries(
      Object.entries({ cadence, protects, completesWithin }).filter(([, v]) => v !== undefined),
    );
  };

  // Velero on DC2: the daily-backup Schedule and its backups of the last three nights, each started
  // a few seconds after 02:00 and completed four minutes later.
  velero = await startVelero(clusters, "dc2");
  await velero.putSchedule("daily-backup", ["production", "staging"], "0 2 * * *");
  for (const at of recentOccurrences("0 2 * * *", 3))
    await velero.putBackup({
      name: `daily-backup-${iso(at).slice(0, 10).replaceAll("-", "")}020000`,
      schedule: "daily-backup",
      namespaces: ["production", "staging"],
      phase: "Completed",
      startedAt: at + 5_000,
      completedAt: at + 4 * MIN,
      expiresAt: at + 30 * DAY,
    });

  // Longhorn on DC2: the portal's volume every 15 minutes, the batch volumes every 2 hours.
  longhorn = await startLonghorn(clusters, "dc2");
  await longhornBackups("portal-data", "*/15 * * * *", 3);
  await longhornBackups("analytics-data", "0 */2 * * *", 2);
  await longhornBackups("batch-data", "0 */2 * * *", 2);

  // etcd: the snapshot of the last 6-hourly occurrence, saved, verified and copied to DR storage.
  const etcdSource = dataSourceSchema.parse({
    name: "etcd-dc1",
    kind: "etcd",
    endpoints: [etcd.endpoint],
    snapshotDir: join(work, "etcd-local"),
    drDir: join(work, "etcd-dr"),
    ...etcd.tls,
    binDir: etcd.binDir,
    requestTimeout: "5s",
  }) as EtcdSourceConfig;
  const [lastSnapshot] = recentOccurrences("0 */6 * * *", 1);
  await runEtcdSnapshotJob(etcdSource, {
    commands: new ExecaCommandRunner(),
    now: () => lastSnapshot! + 3_000,
  });

  const base = clusters.rawConfig() as { sites: unknown[] };
  configFile = join(work, "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      ...example,
      sites: base.sites,
      dataSources: [
        pg.source({ name: "postgres-main" }),
        {
          name: "velero-daily",
          kind: "velero",
          site: "dc2",
          schedule: "daily-backup",
          ...designOf("velero-daily"),
        },
        {
          name: "etcd-dc1",
          kind: "etcd",
          endpoints: [etcd.endpoint],
          snapshotDir: etcdSource.snapshotDir,
          drDir: etcdSource.drDir,
          ...etcd.tls,
          binDir: etcd.binDir,
          requestTimeout: "5s",
          ...designOf("etcd-dc1"),
        },
        {
          name: "longhorn-portal",
          kind: "longhorn",
          site: "dc2",
          volumes: ["portal-data"],
          ...designOf("longhorn-portal"),
        },
        {
          name: "longhorn-batch",
          kind: "longhorn",
          site: "dc2",
          volumes: ["analytics-data", "batch-data"],
          ...designOf("longhorn-batch"),
        },
      ],
      // The DNS provider is only read when a plan is made here; nothing moves traffic in this test.
      dns: { ...(example.dns as Record<string, unknown>), provider: { kind: "external-dns", site: "dc2" } },
    }),
  );
  rt = await createProvenRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    env: parseEnvironment({ PG_TEST_PASSWORD: pg.drbotPassword }),
    store: new MemoryRunStore({ now: () => Date.now() }),
  });
}, 600_000);

afterAll(async () => {
  await rt?.close();
  await velero?.stop();
  longhorn?.stop();
  await Promise.all([clusters?.stop(), etcd?.stop(), pg?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("drbot.example.yaml with every backup on its designed schedule", () => {
  it("reads every tier within design, Velero's backup of last night included", async () => {
    // A reading has 1.5 s per source; the first one also sets up the clients, which on a loaded test
    // machine can take longer (that source then reads "unknown", with the deadline it missed).
    let tiers = await rt.service.rpo();
    await waitFor(
      async () => {
        tiers = await rt.service.rpo();
        return tiers.every((t) => t.state !== "unknown");
      },
      { timeoutMs: 30_000, description: "a reading of every source within its deadline" },
    );
    expect(tiers.map((t) => [t.tier, t.state])).toEqual([
      ["tier1", "within_design"],
      ["tier2", "within_design"],
      ["tier3", "within_design"],
    ]);
    const sources = new Map(tiers.flatMap((t) => t.sources).map((s) => [s.source, s]));
    expect([...sources.values()].filter((s) => s.state !== "within_design")).toEqual([]);
    // Hours old, not minutes: judged by its 02:00 schedule, not by tier1's 15 minutes.
    expect(sources.get("velero-daily")!.exposureMs).toBeGreaterThan(10 * MIN);
    expect(sources.get("velero-daily")!.protects).toBe("configuration");
    expect(tiers[0]).toMatchObject({ worstSource: "postgres-main", withinTarget: true });
    const status = await rt.service.status();
    expect(status.warnings.filter((w) => w.startsWith("tier"))).toEqual([]);
  });

  it("asks no data-loss acceptance on a failover card of any tier", async () => {
    for (const target of ["tier1", "tier2", "tier3"]) {
      const { run } = await rt.service.request({
        actor: "U0ONCALL1",
        runbook: "failover",
        targets: [target],
        reason: "design check",
        source: "cli",
      });
      expect(run.rpoRisk, target).toBeUndefined();
      await rt.service.reject({ actor: "U0APPROVER1", runId: run.id, note: "test only" });
    }
  });

  it("passes the weekly backup verification", async () => {
    const { run } = await rt.service.request({
      actor: "U0ONCALL1",
      runbook: "backup-verify",
      targets: [],
      reason: "weekly",
      source: "cli",
    });
    await waitFor(
      async () =>
        ["completed", "completed_with_exceptions", "failed"].includes((await rt.store.getRun(run.id))!.state),
      {
        timeoutMs: 120_000,
        description: "the verification to finish",
      },
    );
    const steps = await rt.store.getSteps(run.id);
    expect(steps.get("verify-backups"), JSON.stringify([...steps.values()])).toMatchObject({
      status: "succeeded",
      output: expect.stringContaining("5/5 sources fresh and verified"),
    });
    expect((await rt.store.getRun(run.id))!.state).toBe("completed");
  });

  it("turns exactly the late source and its tier red when a backup that should exist does not", async () => {
    // The portal volume's last three scheduled backups failed to upload (the backup target stopped
    // accepting them); its newest good one is from two hours ago.
    for (let i = 0; i < 3; i++) await longhorn.setBackupState(`backup-portal-data-${i}`, "Error");
    await longhorn.backup(
      "portal-data",
      "portal-data-two-hours-ago",
      "Completed",
      iso(Date.now() - 120 * MIN),
    );

    const tiers = await rt.service.rpo();
    expect(tiers.map((t) => [t.tier, t.state])).toEqual([
      ["tier1", "within_design"],
      ["tier2", "late"],
      ["tier3", "within_design"],
    ]);
    const red = tiers.flatMap((t) => t.sources).filter((s) => s.state !== "within_design");
    expect(new Set(red.map((s) => s.source))).toEqual(new Set(["longhorn-portal"]));
    expect(red[0]!.verdict).toMatch(
      /^late: newest recovery point 2h( \d+s)? old; the one due at .* is missing$/,
    );

    const portal = await rt.service.request({
      actor: "U0ONCALL1",
      runbook: "failover",
      // app.example.com carries both: a failover moves them together.
      targets: ["customer-portal", "reporting"],
      reason: "late backup",
      source: "cli",
    });
    expect(portal.run.rpoRisk).toMatchObject({
      tier: "tier2",
      late: [expect.stringContaining("longhorn-portal (data)")],
    });
    await rt.service.reject({ actor: "U0APPROVER1", runId: portal.run.id });
    const payments = await rt.service.request({
      actor: "U0ONCALL1",
      runbook: "failover",
      targets: ["payments"],
      reason: "unaffected",
      source: "cli",
    });
    expect(payments.run.rpoRisk).toBeUndefined();
    await rt.service.reject({ actor: "U0APPROVER1", runId: payments.run.id });
  });
});
