import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { startLonghorn } from "../support/backup-servers.js";
import { typeDrCommand } from "../support/confirm-run.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import { type FakeLonghorn, SharedBackupTarget } from "../support/longhorn-controller.js";
import { type PostgresPair, startPostgresPair } from "../support/postgres-pair.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import {
  readPaymentsReplicas,
  seedPaymentsDeployments,
  seedPaymentsObjects,
} from "../support/seed-payments-deployments.js";
import { type KeyPair, makeKeyPair } from "../support/ssh-keys.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The whole product on the local test environment, with real Velero: a real `drbot serve` process
 * (Redis, Bolt over HTTP) answering the Slack emulator; two real clusters, each with its own Velero
 * server sharing one bucket on a local S3 server (DC1's location read-write, DC2's read-only); two
 * PostgreSQL servers in streaming replication. DC1 runs the strategy's `daily-backup` schedule over
 * the payments namespaces (script 03); DC2 is a warm standby (payments-api deployed at 0 replicas).
 *
 * Through Slack, with two approvals each: a failover whose restore DC2 refuses in part pauses with
 * Velero's own error, and completes once the cause is gone and an approver resumes it; the shipped
 * failback backs DC2 up with its Velero, waits for DC1's Velero to sync that backup from the bucket
 * and restores it with `update`, so what changed on DC2 during the outage is on DC1 afterwards; the
 * monthly restore test restores into sandbox namespaces (namespace mapping); a failover pinned to an
 * older backup (`--backup NAME`) restores that one.
 *
 * What the test bed cannot show: KWOK runs no containers (pods become Ready without running) and
 * there are no volumes, so these are resource backups only; Longhorn's manager is a test controller
 * on each cluster (test/support/longhorn-controller.ts, sharing one backup target in memory: it
 * writes the objects Longhorn would, no data moves), and external-dns's DNSEndpoints are read, not
 * served.
 */
const INCIDENT = "C0INCIDENT";
const MIN = 60_000;

let clusters: TestClustersWithVelero;
let longhorn: FakeLonghorn;
let longhornDc1: FakeLonghorn;
let pg: PostgresPair;
let redis: RedisServer;
let emulator: SlackEmulator;
let serve: ResultPromise | undefined;
let work: string;
let env: Record<string, string>;
let oncallKey: KeyPair;
/** Two backups of the schedule on DC1, synced to DC2: payments-config version 1, then version 2. */
let older: string;
let newest: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-failover-data-"));
  [clusters, pg, redis] = await Promise.all([
    startTestClustersWithVelero(),
    startPostgresPair(),
    startRedisServer(),
  ]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsObjects(clusters, "dc1", { configVersion: "1" });
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);

  // Script 03 on DC1: the daily schedule over the payments namespaces; two of its backups taken.
  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    "--ttl=720h",
    `--include-namespaces=${clusters.ns("production")},${clusters.ns("staging")}`,
  );
  older = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  await seedPaymentsObjects(clusters, "dc1", { configVersion: "2" });
  newest = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  // DC2's Velero brings them in from the bucket at its location's next sync.
  await clusters.velero.waitForBackup("dc2", newest, 3 * MIN);

  // Longhorn on DC2: the DR (standby) volume of payments-data, restored from a backup 2 minutes old.
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  const twoMinutesAgo = iso(Date.now() - 2 * MIN);
  longhorn = await startLonghorn(clusters, "dc2");
  await longhorn.backup("payments-data", "backup-payments-1", "Completed", twoMinutesAgo);
  await longhorn.backupVolume("payments-data", "backup-payments-1", twoMinutesAgo);
  await longhorn.drVolume({
    name: "payments-data",
    lastBackup: "backup-payments-1",
    lastBackupAt: twoMinutesAgo,
  });
  // Longhorn on DC1: payments-data is the active source volume DC2's follows. Both sites' managers
  // share one backup target, as two Longhorn installations on one bucket do; DC1's volume is
  // detached (KWOK runs no pods, so nothing attaches it), as it is once the failover scaled DC1 down.
  longhornDc1 = await startLonghorn(clusters, "dc1");
  await longhornDc1.activeVolume("payments-data");
  await longhornDc1.setVolumeState("payments-data", "detached");
  const target = new SharedBackupTarget();
  longhorn.shareTarget(target);
  longhornDc1.shareTarget(target);

  // external-dns on DC2, where it survives the loss of DC1: the seed's weights, DC1 100 / DC2 0.
  await installDnsEndpointCrd(clusters, "dc2");
  await clusters.kubectl("dc2", "create", "namespace", clusters.ns("dns"));

  emulator = new SlackEmulator({
    users: [
      { id: "U0ONCALL", name: "oncall" },
      { id: "U0A1", name: "approver1" },
      { id: "U0A2", name: "approver2" },
    ],
    channels: [{ id: INCIDENT, name: "incident" }],
  });
  await emulator.start();
  const port = await freePort();
  const managementPort = await freePort();
  emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);

  const base = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  const permissions = { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } };
  // The on-call engineer requests the restore test from the CLI, signing with their own key.
  oncallKey = await makeKeyPair(work, "oncall");
  const configFile = join(work, "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      sites: base.sites.map((s) => ({ ...s, requestTimeout: "15s" })),
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: base.applications.map((a) => ({
        ...a,
        dataSources: ["velero-daily", "longhorn-critical", "postgres-main"],
      })),
      dataSources: [
        { name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" },
        { name: "longhorn-critical", kind: "longhorn", site: "dc2", volumes: ["payments-data"] },
        pg.rejoinableSource({ name: "postgres-main" }),
      ],
      slack: {
        incidentChannels: [INCIDENT],
        permissions: {
          failover: permissions,
          failback: permissions,
          verify: { requesters: { users: ["U0ONCALL"] } },
        },
      },
      redis: { url: redis.url },
      approvals: { keys: { U0ONCALL: [oncallKey.publicLine] } },
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
    }),
  );
  env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/root",
    DRBOT_CONFIG: configFile,
    DRBOT_RUNBOOKS: join(process.cwd(), "runbooks"),
    PORT: String(port),
    MANAGEMENT_PORT: String(managementPort),
    BIND_ADDRESS: "127.0.0.1",
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_SIGNING_SECRET: emulator.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
    PG_TEST_PASSWORD: pg.drbotPassword,
    PG_TEST_SUPER_PASSWORD: pg.superPassword,
  };
  serve = execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
  });
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${managementPort}/readyz`, {
        signal: AbortSignal.timeout(1000),
      }).catch(() => undefined);
      return res?.status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: "drbot serve to be ready" },
  );
}, 10 * MIN);

afterAll(async () => {
  serve?.kill("SIGTERM");
  await serve;
  longhorn?.stop();
  longhornDc1?.stop();
  await emulator?.stop();
  await Promise.all([clusters?.stop(), pg?.stop(), redis?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** The first top-level message containing `needle` that is not among `seen` (earlier runs' cards). */
const newTopLevel = (needle: string, seen: ReadonlySet<string>) =>
  emulator.waitFor(
    () => emulator.messages(INCIDENT).find((m) => !m.threadTs && !seen.has(m.ts) && m.text.includes(needle)),
    { timeoutMs: 30_000, description: `a message saying ${needle}` },
  );

interface Shown {
  run: { state: string };
  steps: Record<string, { status: string; output?: string; error?: string }>;
  events: { type: string; stepId?: string; data: Record<string, unknown> }[];
}

/** `drbot show RUN --json` against the same Redis and configuration as the serving process. */
async function show(runId: string): Promise<Shown> {
  const shown = await execa(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "show", runId, "--json"],
    {
      env,
      extendEnv: false,
    },
  );
  return JSON.parse(shown.stdout) as Shown;
}

const progressBlocks = (ts: string) => JSON.stringify(emulator.message(INCIDENT, ts)?.blocks ?? []);

/** What a person reads on a message: every text of its blocks, in order, one per line. */
function visibleText(ts: string): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) walk(n);
    else if (node && typeof node === "object")
      for (const [key, value] of Object.entries(node)) {
        if (key === "text" && typeof value === "string") texts.push(value);
        else walk(value);
      }
  };
  walk(emulator.message(INCIDENT, ts)?.blocks ?? []);
  return texts.join("\n");
}

/**
 * Types `/dr KIND payments …` as the on-call engineer, lets `inspectCard` look at the card, approves
 * as two people and waits until the run ends or pauses (its Resume button).
 */
async function requestFromSlack(
  command: string,
  inspectCard: (blocks: string) => void = () => undefined,
): Promise<{ runId: string; progressTs: string }> {
  const seen = new Set(emulator.messages(INCIDENT).map((m) => m.ts));
  const kind = command.split(" ")[0] as "failover" | "failback";
  // A real failover or failback is confirmed in its modal by typing the scope's name.
  await typeDrCommand(emulator, { userId: "U0ONCALL", channelId: INCIDENT, text: command });
  const title = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  const card = await newTopLevel(`${title} requested`, seen);
  inspectCard(JSON.stringify(card.blocks));
  for (const approver of ["U0A1", "U0A2"])
    await emulator.sendBlockAction({
      userId: approver,
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
    });
  const progress = await newTopLevel(`${title} ${kind}-`, seen);
  const runId = new RegExp(`${kind}-[a-z0-9-]+`).exec(progress.text)![0];
  await waitUntilEndedOrPaused(progress.ts, kind);
  return { runId, progressTs: progress.ts };
}

async function waitUntilEndedOrPaused(progressTs: string, what: string): Promise<void> {
  await emulator.waitFor(
    () => {
      const blocks = progressBlocks(progressTs);
      return blocks.includes("Summary") || blocks.includes("dr:resume");
    },
    { timeoutMs: 5 * MIN, description: `the ${what} to end or pause` },
  );
}

async function expectCompleted(runId: string): Promise<Shown> {
  const shown = await show(runId);
  expect(shown.run.state, JSON.stringify(shown.steps, null, 1)).toBe("completed");
  return shown;
}

/** The weights external-dns would publish, read from the DNSEndpoints on DC2: ["dc1=…", "dc2=…"]. */
async function dnsWeights(): Promise<string[]> {
  const objects = JSON.parse(
    await clusters.kubectl("dc2", "get", "dnsendpoints", "-n", clusters.ns("dns"), "-o", "json"),
  ).items as { spec: { endpoints: { setIdentifier: string; providerSpecific: { value: string }[] }[] } }[];
  return objects
    .flatMap((o) => o.spec.endpoints)
    .map((e) => `${e.setIdentifier}=${e.providerSpecific[0]?.value}`)
    .sort();
}

const replicas = (context: "dc1" | "dc2", ns: "production" | "staging") =>
  readPaymentsReplicas(clusters, context, ns);
const get = (context: "dc1" | "dc2", ...args: string[]) => clusters.kubectl(context, "get", ...args);
const configVersion = (context: "dc1" | "dc2", ns: "production" | "staging") =>
  get(context, "configmap", "payments-config", "-n", clusters.ns(ns), "-o", "jsonpath={.data.version}");
const locationAccess = (context: "dc1" | "dc2") =>
  get(context, "backupstoragelocation", "default", "-n", "velero", "-o", "jsonpath={.spec.accessMode}");

/** [backup, phase, existing-resource policy] of every Restore on a site, oldest first. */
const restoresOn = async (context: "dc1" | "dc2") =>
  (
    JSON.parse(
      await get(
        context,
        "restores.velero.io",
        "-n",
        "velero",
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        "json",
      ),
    ).items as {
      spec: {
        backupName: string;
        existingResourcePolicy?: string;
        namespaceMapping?: Record<string, string>;
      };
      status: { phase: string };
    }[]
  ).map((r) => ({
    backup: r.spec.backupName,
    phase: r.status.phase,
    policy: r.spec.existingResourcePolicy,
    mapping: r.spec.namespaceMapping,
  }));

describe("failover and failback with real Velero and every data source, from Slack, on the local test environment", () => {
  it(
    "pauses a failover whose restore DC2 refuses in part, with Velero's own error, and completes it once fixed and resumed",
    async () => {
      // DC2 refuses new ConfigMaps in staging: its quota is used up by the one already there.
      await clusters.kubectl(
        "dc2",
        "create",
        "quota",
        "no-new-configmaps",
        "-n",
        clusters.ns("staging"),
        "--hard=count/configmaps=1",
      );
      await waitFor(
        async () =>
          (await get(
            "dc2",
            "quota",
            "no-new-configmaps",
            "-n",
            clusters.ns("staging"),
            "-o",
            "jsonpath={.status.used.count/configmaps}",
          )) === "1",
        {
          timeoutMs: MIN,
          intervalMs: 250,
          description: "the quota to count what staging holds",
        },
      );

      const { runId, progressTs } = await requestFromSlack(
        'failover payments --reason "DC1 lost power"',
        (card) => {
          expect(card).toContain("Restore points");
          expect(card).toMatch(new RegExp(`${newest}[^"]*will be restored`));
        },
      );
      const paused = visibleText(progressTs);
      expect(paused).toMatch(
        new RegExp(
          `Paused\\*: restore-backup failed: restore drbot-\\S+ \\(from backup ${newest}\\) ended PartiallyFailed with 1 error`,
        ),
      );
      expect(paused).toMatch(
        new RegExp(
          `Velero's errors:\\nnamespace/${clusters.ns("staging")}: error restoring configmaps/${clusters.ns("staging")}/payments-config: .*exceeded quota`,
        ),
      );

      // The on-call engineer lifts the quota; an approver resumes: the restore runs again, Completed.
      await clusters.kubectl("dc2", "delete", "quota", "no-new-configmaps", "-n", clusters.ns("staging"));
      await emulator.sendBlockAction({
        userId: "U0A1",
        channelId: INCIDENT,
        messageTs: progressTs,
        actionId: "dr:resume",
      });
      await emulator.waitFor(() => progressBlocks(progressTs).includes("Summary"), {
        timeoutMs: 3 * MIN,
        description: "the resumed failover's summary",
      });
      const shown = await expectCompleted(runId);

      // Velero restored the newest backup on DC2, once in part and then whole, keeping DC2's copies.
      expect(await restoresOn("dc2")).toEqual([
        { backup: newest, phase: "PartiallyFailed", policy: "none", mapping: undefined },
        { backup: newest, phase: "Completed", policy: "none", mapping: undefined },
      ]);
      expect(shown.steps["restore-backup"]?.output).toMatch(
        /every warning is one the runbook accepts:\nnamespace\/[^:]+: could not restore, \w+ "[^"]+" already exists\./,
      );
      // What DC2 did not have came from DC1's backup, with its labels and replica counts (not a
      // workload DR keeps on standby, so it comes up with the primary's count by itself).
      await waitFor(
        async () =>
          (await get(
            "dc2",
            "deployment",
            "payments-worker",
            "-n",
            clusters.ns("production"),
            "-o",
            "jsonpath={.metadata.labels.app}/{.spec.replicas}/{.status.readyReplicas}",
          )) === "payments/2/2",
        {
          timeoutMs: MIN,
          intervalMs: 250,
          description: "payments-worker restored with 2 replicas, both Ready",
        },
      );
      expect(
        await get(
          "dc2",
          "service",
          "payments",
          "-n",
          clusters.ns("staging"),
          "-o",
          "jsonpath={.metadata.labels.tier}/{.spec.ports[0].port}",
        ),
      ).toBe("tier1/80");
      expect(await configVersion("dc2", "staging")).toBe("2");
      expect(await replicas("dc2", "production")).toBe("3/3");
      expect(await replicas("dc2", "staging")).toBe("2/2");
      // DC2 writes backups now; DC1's Velero (it still answers here) no longer writes to the bucket.
      expect(await locationAccess("dc2")).toBe("ReadWrite");
      expect(await locationAccess("dc1")).toBe("ReadOnly");
      expect((await replicas("dc1", "production")).split("/")[0]).toBe("0");

      // The other data sources, on their servers.
      expect(
        await get(
          "dc2",
          "volumes.longhorn.io",
          "payments-data",
          "-n",
          "longhorn-system",
          "-o",
          "jsonpath={.spec.Standby}/{.status.isStandby}/{.status.robustness}",
        ),
      ).toBe("false/false/healthy");
      expect(
        await pg.sql<{ recovering: boolean }>("replica", "select pg_is_in_recovery() as recovering"),
      ).toEqual([{ recovering: false }]);
      expect(await dnsWeights()).toEqual(["dc1=0", "dc2=100"]);

      // In the channel's timeline: a reply per step in the run's thread, with its evidence.
      const thread = emulator.thread(INCIDENT, progressTs).map((m) => JSON.stringify(m.blocks));
      const replies = (title: string) => thread.filter((t) => t.includes(title));
      expect(replies("Restore the newest good Velero backup").join("\n")).toContain("exceeded quota");
      expect(replies("Restore the newest good Velero backup").at(-1)).toContain(
        "every warning is one the runbook accepts",
      );
      expect(replies("DR's backup location read-write").join("\n")).toContain(
        "storage location default on dc2: ReadOnly → ReadWrite",
      );
      expect(replies("DNS weights to DR").join("\n")).toContain("payments.example.com: dc1 0, dc2 100");
      expect(shown.events.filter((e) => e.type === "run.approval")).toHaveLength(2);
      for (const step of [
        "restore-backup",
        "activate-volumes",
        "promote-database",
        "switch-dns",
        "dr-backups-writable",
      ])
        expect(shown.steps[step]?.status, step).toBe("succeeded");
    },
    10 * MIN,
  );

  it(
    "fails back: DC2's own backup, synced to DC1 through the bucket and restored with update, brings what changed during the outage",
    async () => {
      // While DC2 served, the application's configuration changed there.
      await clusters.kubectl(
        "dc2",
        "patch",
        "configmap",
        "payments-config",
        "-n",
        clusters.ns("production"),
        "--type=merge",
        "-p",
        '{"data":{"version":"changed-during-outage"}}',
      );
      expect(await configVersion("dc1", "production")).toBe("2");

      const { runId } = await requestFromSlack('failback payments --reason "DC1 repaired"');
      const shown = await expectCompleted(runId);

      const taken = JSON.parse(
        await get("dc2", "backups.velero.io", "-n", "velero", "-l", `drbot.io/run-id=${runId}`, "-o", "json"),
      ).items as { metadata: { name: string }; status: { phase: string } }[];
      expect(taken.map((b) => b.status.phase)).toEqual(["Completed"]);
      // DC1's Velero synced DC2's backup from the bucket and restored it over DC1's older objects.
      expect(await restoresOn("dc1")).toEqual([
        { backup: taken[0]!.metadata.name, phase: "Completed", policy: "update", mapping: undefined },
      ]);
      expect(await configVersion("dc1", "production")).toBe("changed-during-outage");
      expect(shown.steps["restore-primary"]?.output).toMatch(/Completed with 0 error\(s\)/);
      expect(await replicas("dc1", "production")).toBe("3/3");
      expect(await replicas("dc1", "staging")).toBe("2/2");
      expect((await replicas("dc2", "production")).split("/")[0]).toBe("0");
      expect(await dnsWeights()).toEqual(["dc1=100", "dc2=0"]);
      expect(await locationAccess("dc1")).toBe("ReadWrite");
      expect(await locationAccess("dc2")).toBe("ReadOnly");

      // Longhorn's direction reversed: DC2's volume was backed up, DC1's stale volume replaced by a DR
      // volume of that backup, the last backup taken after DC2's writes stopped, DC1 activated from
      // exactly it, and DC2's volume is a DR volume again, following the same backup volume.
      const last = /backup (drbot-[0-9a-f]+) Completed/.exec(
        shown.steps["last-dr-volume-backup"]?.output ?? "",
      )?.[1];
      expect(last, shown.steps["last-dr-volume-backup"]?.output).toBeDefined();
      expect(shown.steps["primary-volumes-standby"]?.output).toMatch(
        /payments-data: active volume replaced by a DR volume of backup drbot-[0-9a-f]+/,
      );
      for (const step of [
        "back-up-dr-volumes",
        "primary-volumes-standby",
        "activate-primary-volumes",
        "dr-volumes-standby",
      ])
        expect(shown.steps[step]?.status, step).toBe("succeeded");
      const volume = (context: "dc1" | "dc2") =>
        get(
          context,
          "volumes.longhorn.io",
          "payments-data",
          "-n",
          "longhorn-system",
          "-o",
          "jsonpath={.spec.Standby}/{.status.isStandby}/{.status.lastBackup}",
        );
      expect(await volume("dc1")).toBe(`false/false/${last}`);
      expect(await volume("dc2")).toBe(`true/true/${last}`);
    },
    10 * MIN,
  );

  it(
    "runs the monthly restore test: the newest backup into sandbox namespaces on DC2 (namespace mapping), ready, then deleted",
    async () => {
      const productionBefore = await replicas("dc2", "production");
      const run = await execa(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "run",
          "restore-test",
          "payments",
          "--yes",
          "--reason",
          "monthly",
          "--as",
          "U0ONCALL",
          "--key",
          oncallKey.privatePath,
          "--json",
        ],
        { env, extendEnv: false, reject: false, timeout: 4 * MIN },
      );
      expect(run.exitCode, run.stderr).toBe(0);
      const shown = JSON.parse(run.stdout) as Shown;
      expect(shown.run.state, JSON.stringify(shown.steps, null, 1)).toBe("completed");
      expect(
        Object.values(shown.steps).every((s) => s.status === "succeeded"),
        JSON.stringify(shown.steps),
      ).toBe(true);
      // The newest good backup of the namespaces on DC2: the failback's own, taken there.
      expect((await restoresOn("dc2")).at(-1)).toEqual({
        backup: expect.stringMatching(/^drbot-failback-/),
        phase: "Completed",
        policy: "none",
        mapping: {
          [clusters.ns("production")]: `drbot-restore-${clusters.ns("production")}`,
          [clusters.ns("staging")]: `drbot-restore-${clusters.ns("staging")}`,
        },
      });
      await waitFor(async () => !(await get("dc2", "namespaces", "-o", "name")).includes("drbot-restore-"), {
        timeoutMs: 2 * MIN,
        intervalMs: 500,
        description: "the sandbox namespaces to be gone",
      });
      // Production on DC2 was not touched by the test.
      expect(await replicas("dc2", "production")).toBe(productionBefore);
    },
    10 * MIN,
  );

  it(
    "fails over from an older backup chosen with --backup NAME, not the newest",
    async () => {
      const { runId } = await requestFromSlack(
        `failover payments --backup ${older} --reason "the newest backup may be encrypted"`,
        (card) => expect(card).toMatch(new RegExp(`${older}` + '`[^"]*← pinned')),
      );
      const shown = await expectCompleted(runId);
      expect((await restoresOn("dc2")).at(-1)).toEqual({
        backup: older,
        phase: "Completed",
        policy: "none",
        mapping: undefined,
      });
      expect(shown.steps["restore-backup"]?.output).toContain(`(from backup ${older}) Completed`);
      expect(await replicas("dc2", "production")).toBe("3/3");
    },
    10 * MIN,
  );
});
