import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type EtcdSourceConfig, runEtcdSnapshotJob } from "../../src/adapters/etcd/run-etcd-snapshot-job.js";
import { ExecaCommandRunner } from "../../src/adapters/execa/execa-command-runner.js";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { lastRunKey } from "../../src/app/dr-calendar.js";
import { dataSourceSchema } from "../../src/domain/config.js";
import type { RunRecord } from "../../src/domain/run.js";
import { SlackEmulator, type StoredMessage } from "../../src/emulator/slack-emulator.js";
import { startLonghorn } from "../support/backup-servers.js";
import { type EtcdServer, startEtcdServer } from "../support/etcd-server.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import type { FakeLonghorn } from "../support/longhorn-controller.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped weekly verification (runbooks/backup-verify.yaml) against real sources, run by the DR
 * calendar of a real `drbot serve` process on real Redis: real Velero, DC2's holding the good backup
 * DC1's daily schedule took (synced from the shared bucket), Longhorn's CRDs on DC2 whose newest good backup of payments-data is three days old
 * (and the one after it failed), and an etcd that requires client certificates with a verified
 * snapshot in DR storage. drbot was down over Monday 06:00 (the schedule was last handled eight days
 * ago): once it is back, the calendar runs the verification by itself, and the channel shows each
 * source's verdict, Longhorn's as a failure; a restart afterwards does not run it again.
 */
const INCIDENT = "C0INCIDENT";
const MIN = 60_000;
const DAY = 86_400_000;
const SCHEDULE = "weekly-backup-verification";
const PREFIX = "drbot:";

let clusters: TestClustersWithVelero;
let redis: RedisServer;
let etcd: EtcdServer;
/** The daily schedule's backup DC1 took, synced to DC2. */
let dailyBackup: string;
let longhorn: FakeLonghorn;
let emulator: SlackEmulator;
let store: RedisRunStore;
let work: string;
let env: Record<string, string>;
let etcdSource: EtcdSourceConfig;
const processes: ServeProcess[] = [];

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const ago = (ms: number) => Date.now() - ms;

const verifyRuns = async (): Promise<RunRecord[]> =>
  (await store.listRuns()).filter((r) => r.kind === "verify");

/** The thread reply of a step, by its title, as the channel shows it (text and blocks). */
const reply = (thread: StoredMessage[], title: string): string =>
  thread.map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`).find((t) => t.startsWith(`${title}:`)) ?? "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-backup-verify-"));
  [clusters, redis, etcd] = await Promise.all([
    startTestClustersWithVelero(),
    startRedisServer(),
    startEtcdServer(),
  ]);
  for (let i = 0; i < 10; i++) await etcd.put(`/registry/configmaps/production/app-${i}`, `value-${i}`);

  // Velero: DC1's daily schedule over the payments namespaces, its backup synced to DC2 (real Velero).
  for (const ns of ["production", "staging"])
    await clusters.kubectl("dc1", "create", "namespace", clusters.ns(ns));
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

  // Longhorn on DC2: payments-data's newest good backup is three days old; yesterday's failed.
  longhorn = await startLonghorn(clusters, "dc2");
  await longhorn.backup("payments-data", "backup-payments-1", "Completed", iso(ago(3 * DAY)));
  await longhorn.backup("payments-data", "backup-payments-2", "Error", iso(ago(DAY)));
  await longhorn.backupVolume("payments-data", "backup-payments-1", iso(ago(3 * DAY)));

  // etcd: the 6-hourly snapshot, taken five minutes ago, in DR storage and verified.
  etcdSource = dataSourceSchema.parse({
    name: "etcd-dc1",
    kind: "etcd",
    endpoints: [etcd.endpoint],
    snapshotDir: join(work, "etcd-local"),
    drDir: join(work, "etcd-dr"),
    ...etcd.tls,
    binDir: etcd.binDir,
    requestTimeout: "5s",
  }) as EtcdSourceConfig;
  await runEtcdSnapshotJob(etcdSource, { commands: new ExecaCommandRunner(), now: () => ago(5 * MIN) });

  emulator = new SlackEmulator({
    users: [{ id: "U0ONCALL", name: "oncall" }],
    channels: [{ id: INCIDENT, name: "incident" }],
  });
  await emulator.start();

  const base = clusters.rawConfig() as { applications: Record<string, unknown>[] };
  const configFile = join(work, "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      ...base,
      applications: base.applications.map((a) => ({
        ...a,
        dataSources: ["velero-daily", "longhorn-critical", "etcd-dc1"],
      })),
      dataSources: [
        { name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" },
        { name: "longhorn-critical", kind: "longhorn", site: "dc2", volumes: ["payments-data"] },
        {
          name: "etcd-dc1",
          kind: "etcd",
          endpoints: [etcd.endpoint],
          snapshotDir: etcdSource.snapshotDir,
          drDir: etcdSource.drDir,
          ...etcd.tls,
          binDir: etcd.binDir,
          requestTimeout: "5s",
        },
      ],
      redis: { url: redis.url, keyPrefix: PREFIX },
      engine: { leaseTtl: "2s" },
      watch: { enabled: false, leaseTtl: "2s" },
      calendar: { schedules: [{ name: SCHEDULE, cron: "0 6 * * MON", run: "backup-verify" }] },
    }),
  );
  env = {
    DRBOT_CONFIG: configFile,
    DRBOT_RUNBOOKS: join(process.cwd(), "runbooks"),
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_SIGNING_SECRET: emulator.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
  };
  store = await openTestRedisStore(redis.url, PREFIX);
}, 600_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
  await store?.close();
  longhorn?.stop();
  await emulator?.stop();
  await Promise.all([clusters?.stop(), redis?.stop(), etcd?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the weekly backup verification on the local test environment", () => {
  it("runs by itself once drbot is back after missing Monday's, and posts every source's verdict", async () => {
    // Last handled eight days ago: Monday 06:00 passed while drbot was down.
    await store.kvSet(lastRunKey(SCHEDULE), String(ago(8 * DAY)));
    const serve = await startServeProcess(env);
    processes.push(serve);

    await waitFor(async () => (await verifyRuns()).some((r) => r.state.startsWith("completed")), {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: `the scheduled verification to end; serve said:\n${serve.output()}`,
    });
    const [run] = await verifyRuns();
    expect(run).toMatchObject({
      runbook: "backup-verify",
      source: "schedule",
      requestedBy: "drbot",
      channel: INCIDENT,
      state: "completed_with_exceptions",
    });
    expect(serve.output()).toContain(`calendar: ${SCHEDULE} due `);
    expect(serve.output()).toContain(`: requested ${run!.id}`);

    // In the channel: the run's progress, and one thread reply per step with its evidence.
    const progress = await emulator.waitForMessage(INCIDENT, `Backup verification ${run!.id}`, {
      timeoutMs: 30_000,
    });
    // Replies are posted as the notifier drains its queue, after the run's state is persisted.
    await waitFor(
      () => run!.plan.steps.every((step) => reply(emulator.thread(INCIDENT, progress.ts), step.title) !== ""),
      { timeoutMs: 30_000, intervalMs: 100, description: "a reply per step in the run's thread" },
    );
    await waitFor(
      () => emulator.message(INCIDENT, progress.ts)?.text.includes("completed with exceptions") ?? false,
      { timeoutMs: 30_000, intervalMs: 100, description: "the progress message to show the end" },
    );
    expect(JSON.stringify(emulator.message(INCIDENT, progress.ts)!.blocks)).toContain(
      "Failed: verify-backups",
    );
    const thread = emulator.thread(INCIDENT, progress.ts);
    const verdicts = reply(thread, "Backup freshness and integrity");
    expect(verdicts).toContain("Backup freshness and integrity: failed");
    expect(verdicts).toContain("2/3 sources fresh and verified; failing: longhorn-critical");
    expect(verdicts).toMatch(
      new RegExp(
        `✓ velero velero-daily: [^"]*limit 15m[^"]*newest Completed backup of daily-backup on dc2: ${dailyBackup}`,
      ),
    );
    expect(verdicts).toMatch(/✓ etcd etcd-dc1: [^"]*limit 15m[^"]*newest verified snapshot in DR storage/);
    expect(verdicts).toMatch(
      /✗ longhorn longhorn-critical: newest recovery point is [^"]+ old, beyond the 15m RPO it must meet/,
    );
    expect(verdicts).toContain("payments-data: 1 failed backup(s)");
    const snapshot = reply(thread, "etcd snapshot saved and verified");
    expect(snapshot).toContain("etcd snapshot saved and verified: succeeded");
    expect(snapshot).toMatch(/from https:\/\/127\.0\.0\.1:\d+: revision \d+, \d+ keys, hash \d+, verified/);
    expect(snapshot).toMatch(/copied to \S+\/etcd-dr\/etcd-snapshot-etcd-dc1-\S+\.db \(copy\) and verified/);
    expect(reply(thread, "Announce")).toContain("Announce: succeeded");
    // The new snapshot is in DR storage beside the one it was checked against.
    const inDr = (await readdir(etcdSource.drDir!)).filter((f) => f.endsWith(".db"));
    expect(inDr).toHaveLength(2);
  }, 240_000);

  it("does not run it again after a restart", async () => {
    const first = processes[0]!;
    const [run] = await verifyRuns();
    const handledAt = Number(await store.kvGet(lastRunKey(SCHEDULE)));
    expect(handledAt).toBeGreaterThanOrEqual(run!.createdAt - 5_000);
    await first.stop();
    processes.shift();
    const posted = emulator.messages(INCIDENT).length;

    const again = await startServeProcess(env);
    processes.push(again);
    // The new leader's calendar has checked the schedule once it says when it is next due.
    await waitFor(() => again.output().includes(`calendar: ${SCHEDULE} next due `), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: `the restarted calendar's first check; serve said:\n${again.output()}`,
    });
    const next = Date.parse(/next due ([^\s"]+)/.exec(again.output())![1]!);
    expect(next).toBeGreaterThan(Date.now());
    expect(new Date(next).getUTCDay()).toBe(1);
    expect(again.output()).not.toContain(": requested ");
    expect((await verifyRuns()).map((r) => r.id)).toEqual([run!.id]);
    expect(await store.kvGet(lastRunKey(SCHEDULE))).toBe(String(handledAt));
    // Nothing new in the channel either.
    expect(emulator.messages(INCIDENT)).toHaveLength(posted);
  }, 120_000);
});
