import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { runEtcdSnapshotJob } from "../src/adapters/etcd/run-etcd-snapshot-job.js";
import { ExecaCommandRunner } from "../src/adapters/execa/execa-command-runner.js";
import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../src/config/environment.js";
import { configSchema } from "../src/domain/config.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { startEtcdServer } from "../test/support/etcd-server.js";
import { startTestClusters } from "../test/support/k8s-testenv.js";
import { FakeLonghorn } from "../test/support/longhorn-controller.js";
import { installLonghornCrds } from "../test/support/longhorn-crds.js";
import { startPostgresPair } from "../test/support/postgres-pair.js";
import { installVeleroCrds } from "../test/support/velero-crds.js";
import { VeleroTestController } from "../test/support/velero-test-controller.js";
import { type BenchResult, type Figure, percentile } from "./bench-kit.js";

/**
 * `/dr status` over 3 tiers and 30 applications with every kind of source, on the local test
 * environment: both clusters' health, Velero schedules (one per tier) and Longhorn volumes (10) on
 * DC2, an etcd with TLS client certificates and a verified snapshot, and a PostgreSQL pair in
 * streaming replication. Each round is a fresh reading (the status cache has expired); the total is
 * what a person waits for, and each source's latency comes from the reading itself.
 */
const ROUNDS = 8;
const STATUS_REUSE_MS = 2_000;
const TIERS = [
  { name: "tier1", rto: "2h", rpo: "15m" },
  { name: "tier2", rto: "4h", rpo: "1h" },
  { name: "tier3", rto: "8h", rpo: "24h" },
];

export async function run(): Promise<BenchResult> {
  const work = await mkdtemp(join(tmpdir(), "drbot-status-bench-"));
  const [clusters, pg, etcd] = await Promise.all([
    startTestClusters(),
    startPostgresPair(),
    startEtcdServer(),
  ]);
  let velero: VeleroTestController | undefined;
  let longhorn: FakeLonghorn | undefined;
  try {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
    await installVeleroCrds(clusters, "dc2");
    await clusters.kubectl("dc2", "create", "namespace", "velero");
    velero = new VeleroTestController(clusters.kubeconfigPath, "dc2", "velero");
    await velero.putStorageLocation("default");
    for (const tier of TIERS)
      for (let i = 0; i < 5; i++)
        await velero.putBackup({
          name: `${tier.name}-backup-${i}`,
          schedule: `${tier.name}-daily`,
          namespaces: [`${tier.name}-app-0`],
          phase: "Completed",
          startedAt: now - (i + 1) * 600_000,
          completedAt: now - (i + 1) * 600_000 + 60_000,
          expiresAt: now + 30 * 86_400_000,
        });
    await clusters.kubectl("dc2", "create", "namespace", "longhorn-system");
    await installLonghornCrds(clusters, "dc2");
    longhorn = new FakeLonghorn(clusters.kubeconfigPath, "dc2");
    await longhorn.backupTarget("default", true);
    const volumes = Array.from({ length: 10 }, (_, i) => `tier1-data-${i}`);
    for (const volume of volumes) {
      const at = iso(now - 120_000);
      await longhorn.backup(volume, `backup-${volume}`, "Completed", at);
      await longhorn.backupVolume(volume, `backup-${volume}`, at);
      await longhorn.drVolume({ name: volume, lastBackup: `backup-${volume}`, lastBackupAt: at });
    }
    const etcdSource = {
      name: "etcd-dc1",
      kind: "etcd" as const,
      endpoints: [etcd.endpoint],
      snapshotDir: join(work, "etcd", "local"),
      drDir: join(work, "etcd", "dr"),
      ...etcd.tls,
      binDir: etcd.binDir,
    };

    const base = clusters.config();
    const applications = TIERS.flatMap((tier, t) =>
      Array.from({ length: 10 }, (_, i) => ({
        name: `${tier.name}-app-${i}`,
        tier: tier.name,
        namespaces: [`${tier.name}-app-${i}`],
        workloads: [{ namespace: `${tier.name}-app-${i}`, name: "api", replicas: 3 }],
        dataSources: [
          `velero-${tier.name}`,
          ...(t === 0 ? ["postgres-main", "longhorn-critical", "etcd-dc1"] : []),
          ...(t === 1 ? ["etcd-dc1"] : []),
        ],
      })),
    );
    const config = {
      sites: base.sites.map((s) => ({ ...s, requestTimeout: "2s" })),
      tiers: TIERS,
      applications,
      dataSources: [
        ...TIERS.map((tier) => ({
          name: `velero-${tier.name}`,
          kind: "velero",
          site: "dc2",
          schedule: `${tier.name}-daily`,
        })),
        { name: "longhorn-critical", kind: "longhorn", site: "dc2", volumes },
        pg.source({ name: "postgres-main" }),
        etcdSource,
      ],
    };
    const parsed = configSchema.parse(config);
    const parsedEtcd = parsed.dataSources.find((s) => s.name === "etcd-dc1");
    if (parsedEtcd?.kind !== "etcd") throw new Error("the etcd source did not parse");
    await runEtcdSnapshotJob(parsedEtcd, { commands: new ExecaCommandRunner(), log: () => undefined });
    const configFile = join(work, "drbot.yaml");
    await writeFile(configFile, stringify(config));
    const rt = await createRuntime({
      configPath: configFile,
      store: new MemoryRunStore({ now: () => Date.now() }),
      env: parseEnvironment({ PG_TEST_PASSWORD: pg.drbotPassword }),
      autoStart: false,
    });
    try {
      const totals: number[] = [];
      const bySource = new Map<string, number[]>();
      const bySite = new Map<string, number[]>();
      let unknown = 0;
      for (let round = 0; round <= ROUNDS; round++) {
        const started = performance.now();
        const report = await rt.service.status();
        const took = performance.now() - started;
        // Round 0 opens the connections a running bot already has; it is not counted.
        if (round > 0) {
          totals.push(took);
          for (const site of report.sites)
            bySite.set(site.site, [...(bySite.get(site.site) ?? []), site.latencyMs]);
          const readings = new Map(report.rpo.flatMap((t) => t.readings).map((r) => [r.source, r]));
          for (const r of readings.values())
            bySource.set(`${r.kind} ${r.source}`, [
              ...(bySource.get(`${r.kind} ${r.source}`) ?? []),
              r.latencyMs ?? 0,
            ]);
          unknown = report.rpo.reduce((n, t) => n + t.unknown.length, 0);
        }
        // The next reading must be a fresh one, not the cached answer.
        await new Promise((resolve) => setTimeout(resolve, STATUS_REUSE_MS + 50));
      }
      const figures: Figure[] = [
        {
          name: "status, 3 tiers × 10 applications: p50",
          value: percentile(totals, 50),
          unit: "ms",
        },
        {
          name: "status: slowest of the rounds",
          value: Math.max(...totals),
          unit: "ms",
          target: { op: "<", value: 2_000 },
        },
        {
          name: "sources unreadable in the last round",
          value: unknown,
          unit: "sources",
          target: { op: "<=", value: 0 },
        },
        ...[...bySite].map(([site, ms]) => ({
          name: `site ${site} health: p50`,
          value: percentile(ms, 50),
          unit: "ms",
        })),
        ...[...bySource].map(([source, ms]) => ({
          name: `${source}: p50`,
          value: percentile(ms, 50),
          unit: "ms",
        })),
      ];
      return {
        name: "status",
        figures,
        notes: [
          `${ROUNDS} fresh readings; ${applications.length} applications in ${TIERS.length} tiers; sources: 3 Velero schedules, 10 Longhorn volumes, 1 etcd (TLS), 1 PostgreSQL pair`,
        ],
      };
    } finally {
      await rt.close();
    }
  } finally {
    await velero?.stop();
    longhorn?.stop();
    await Promise.all([clusters.stop(), pg.stop(), etcd.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}
