import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { startLonghorn, startVelero } from "../support/backup-servers.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import type { FakeLonghorn } from "../support/longhorn-controller.js";
import { type PostgresPair, startPostgresPair } from "../support/postgres-pair.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { readPaymentsReplicas, seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import type { VeleroTestController } from "../support/velero-test-controller.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The whole product on the local test environment: a real `drbot serve` process (Redis, Bolt over
 * HTTP) answering the Slack emulator, two real clusters with Velero's, Longhorn's and external-dns's
 * CRDs on DC2 (test controllers play their servers), and two PostgreSQL servers in streaming
 * replication. `/dr failover` is approved by two people; the shipped failover restores the newest
 * Velero backup, activates the Longhorn DR volume, promotes the replica and switches DNS, and each
 * of those is checked on the real servers, in the channel's timeline and in the audit trail. Then
 * the shipped failback: DC2 backed up on demand, that backup restored on DC1, DC1 scaled up, DNS
 * weights back, DC2 back to standby.
 */
const INCIDENT = "C0INCIDENT";
const MIN = 60_000;

let clusters: TestClusters;
let velero: VeleroTestController;
let veleroDc1: VeleroTestController;
let longhorn: FakeLonghorn;
let pg: PostgresPair;
let redis: RedisServer;
let emulator: SlackEmulator;
let serve: ResultPromise | undefined;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-failover-data-"));
  [clusters, pg, redis] = await Promise.all([startTestClusters(), startPostgresPair(), startRedisServer()]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  const ago = (ms: number) => Date.now() - ms;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

  // Velero on DC2, where failover restores: a storage location and last night's good backup.
  velero = await startVelero(clusters, "dc2");
  // DC1's Velero, for failback: it restores what DC2 backed up, once synced from the storage location.
  veleroDc1 = await startVelero(clusters, "dc1");
  await velero.putBackup({
    name: "daily-backup-20261125",
    schedule: "daily-backup",
    namespaces: [clusters.ns("production"), clusters.ns("staging")],
    phase: "Completed",
    startedAt: ago(6 * MIN),
    completedAt: ago(5 * MIN),
    expiresAt: Date.now() + 30 * 86_400_000,
  });

  // Longhorn on DC2: the DR (standby) volume of payments-data, restored from a backup 2 minutes old.
  longhorn = await startLonghorn(clusters, "dc2");
  await longhorn.backup("payments-data", "backup-payments-1", "Completed", iso(ago(2 * MIN)));
  await longhorn.backupVolume("payments-data", "backup-payments-1", iso(ago(2 * MIN)));
  await longhorn.drVolume({
    name: "payments-data",
    lastBackup: "backup-payments-1",
    lastBackupAt: iso(ago(2 * MIN)),
  });

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
        pg.source({ name: "postgres-main" }),
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
      dns: {
        provider: { kind: "external-dns", site: "dc2", namespace: clusters.ns("dns") },
        records: [
          {
            name: "payments.example.com",
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
}, 600_000);

afterAll(async () => {
  serve?.kill("SIGTERM");
  await serve;
  await velero?.stop();
  await veleroDc1?.stop();
  longhorn?.stop();
  await emulator?.stop();
  await Promise.all([clusters?.stop(), pg?.stop(), redis?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Velero's backup sync as the shared storage location would do it: DC2's Completed backups appear
 * on DC1 with their labels (the run and step that took them).
 */
function syncBackupsToDc1(): { errors: string[]; stop(): Promise<void> } {
  const copied = new Set<string>();
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const items = JSON.parse(
          await clusters.kubectl("dc2", "get", "backups.velero.io", "-n", "velero", "-o", "json"),
        ).items as {
          metadata: { name: string; labels?: Record<string, string> };
          spec: { includedNamespaces?: string[] };
          status?: {
            phase?: string;
            startTimestamp?: string;
            completionTimestamp?: string;
            expiration?: string;
          };
        }[];
        for (const b of items) {
          if (b.status?.phase !== "Completed" || copied.has(b.metadata.name)) continue;
          const at = (iso?: string) => (iso ? Date.parse(iso) : undefined);
          await veleroDc1
            .putBackup({
              name: b.metadata.name,
              labels: b.metadata.labels ?? {},
              ...(b.spec.includedNamespaces ? { namespaces: b.spec.includedNamespaces } : {}),
              phase: "Completed",
              ...(at(b.status.startTimestamp) !== undefined
                ? { startedAt: at(b.status.startTimestamp) }
                : {}),
              ...(at(b.status.completionTimestamp) !== undefined
                ? { completedAt: at(b.status.completionTimestamp) }
                : {}),
              ...(at(b.status.expiration) !== undefined ? { expiresAt: at(b.status.expiration) } : {}),
            })
            .catch((error: Error) => {
              // Copied by an earlier round whose answer was lost: already there is fine.
              if (!/already ?exists|409/i.test(error.message)) throw error;
            });
          copied.add(b.metadata.name);
        }
        errors.length = 0;
      } catch (error) {
        // A transient API error (the machine is busy) is retried on the next round.
        errors.splice(0, errors.length, error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * What Velero's server does for a Restore with a namespace mapping: the backed-up deployments are
 * created in the mapped namespaces before the restore is Completed. DC2's test controller is held
 * until they exist, then lets the restore finish.
 */
function restoreIntoMappedNamespaces(): { errors: string[]; stop(): Promise<void> } {
  const done = new Set<string>();
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const restores = JSON.parse(
          await clusters.kubectl("dc2", "get", "restores.velero.io", "-n", "velero", "-o", "json"),
        ).items as { metadata: { name: string }; spec: { namespaceMapping?: Record<string, string> } }[];
        for (const r of restores) {
          if (!r.spec.namespaceMapping || done.has(r.metadata.name)) continue;
          // Created once even when a transient error made an earlier round stop half-way.
          const create = (...args: string[]) =>
            clusters.kubectl("dc2", "create", ...args).catch((error: Error) => {
              if (!error.message.includes("already exists")) throw error;
              return "";
            });
          for (const [from, to] of Object.entries(r.spec.namespaceMapping)) {
            await create("namespace", to);
            await create(
              "deployment",
              "payments-api",
              "-n",
              to,
              "--image=registry.example/payments:2.0",
              `--replicas=${from === clusters.ns("production") ? 3 : 2}`,
            );
          }
          done.add(r.metadata.name);
          velero.resume();
        }
        errors.length = 0;
      } catch (error) {
        // A transient API error is retried on the next round; only the last one is kept.
        errors.splice(0, errors.length, error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

const topLevel = (needle: string) =>
  emulator.waitFor(() => emulator.messages(INCIDENT).find((m) => !m.threadTs && m.text.includes(needle)), {
    timeoutMs: 30_000,
  });

interface Shown {
  run: { state: string };
  steps: Record<string, { status: string; output?: string }>;
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

/**
 * Types `/dr KIND payments --reason …` as the on-call engineer, lets `inspectCard` look at the card,
 * approves as two people, waits for the run's summary and returns what `drbot show` says of it.
 */
async function runFromSlack(
  kind: "failover" | "failback",
  reason: string,
  inspectCard: (blocks: string) => void = () => undefined,
): Promise<{ runId: string; progressTs: string; shown: Shown }> {
  await emulator.sendSlashCommand({
    userId: "U0ONCALL",
    channelId: INCIDENT,
    text: `${kind} payments --reason "${reason}"`,
  });
  const title = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  const card = await topLevel(`${title} requested`);
  inspectCard(JSON.stringify(card.blocks));
  for (const approver of ["U0A1", "U0A2"])
    await emulator.sendBlockAction({
      userId: approver,
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
    });
  const progress = await topLevel(`${title} ${kind}-`);
  const runId = new RegExp(`${kind}-[a-z0-9-]+`).exec(progress.text)![0];
  // The summary, or a paused run (its Resume button): either way `drbot show` says what happened.
  await emulator.waitFor(
    () => {
      const blocks = JSON.stringify(emulator.message(INCIDENT, progress.ts)?.blocks ?? []);
      return blocks.includes("Summary") || blocks.includes("dr:resume");
    },
    { timeoutMs: 240_000, description: `the ${kind} summary` },
  );
  const shown = await show(runId);
  expect(shown.run.state, JSON.stringify(shown.steps)).toBe("completed");
  return { runId, progressTs: progress.ts, shown };
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

const restoresOn = async (context: "dc1" | "dc2") =>
  JSON.parse(await clusters.kubectl(context, "get", "restores.velero.io", "-n", "velero", "-o", "json"))
    .items as {
    spec: { backupName: string; namespaceMapping?: Record<string, string> };
    status: { phase: string };
  }[];

describe("failover and failback with every data source, from Slack, on the local test environment", () => {
  it("restores Velero's backup, activates the Longhorn volume, promotes the replica and switches DNS", async () => {
    const { progressTs, shown } = await runFromSlack("failover", "DC1 lost power", (card) => {
      expect(card).toContain("Restore points");
      expect(card).toMatch(/daily-backup-20261125[^"]*will be restored/);
      expect(card).toContain("Data at risk now");
    });

    // On the real servers.
    expect(await replicas("dc2", "production")).toBe("3/3");
    expect((await restoresOn("dc2")).map((r) => [r.spec.backupName, r.status.phase])).toEqual([
      ["daily-backup-20261125", "Completed"],
    ]);
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
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

    // In the channel's timeline: one reply per step in the run's thread, with its evidence.
    const thread = emulator.thread(INCIDENT, progressTs).map((m) => JSON.stringify(m.blocks));
    const reply = (title: string) => thread.find((t) => t.includes(title)) ?? "";
    expect(reply("Restore the newest good Velero backup")).toContain("daily-backup-20261125");
    expect(reply("Activate the Longhorn DR volumes")).toContain("active and healthy on dc2");
    expect(reply("Promote the PostgreSQL replicas")).toContain("succeeded");
    expect(reply("DNS weights to DR")).toContain("payments.example.com: dc1 0, dc2 100");

    // In the audit trail: every one of those steps, with the two approvals before them.
    expect(shown.events.filter((e) => e.type === "run.approval")).toHaveLength(2);
    for (const step of ["restore-backup", "activate-volumes", "promote-database", "switch-dns"])
      expect(shown.steps[step]?.status, step).toBe("succeeded");
    const stepEvents = shown.events
      .filter((e) => e.type === "step.state" && e.data.status === "succeeded")
      .map((e) => e.stepId);
    expect(stepEvents).toEqual(
      expect.arrayContaining(["restore-backup", "activate-volumes", "promote-database", "switch-dns"]),
    );
  }, 300_000);

  it("fails back: DC2 backed up, restored on DC1, DC1 serving and DNS back, DC2 on standby", async () => {
    const sync = syncBackupsToDc1();
    try {
      const { runId } = await runFromSlack("failback", "DC1 repaired").catch((error: Error) => {
        throw new Error(`${error.message}; backup sync: ${sync.errors.join("; ") || "no error"}`);
      });
      const taken = JSON.parse(
        await clusters.kubectl("dc2", "get", "backups.velero.io", "-n", "velero", "-o", "json"),
      ).items.filter((b: { metadata: { labels?: Record<string, string> } }) =>
        Object.values(b.metadata.labels ?? {}).includes(runId),
      ) as { metadata: { name: string } }[];
      expect(taken).toHaveLength(1);
      expect((await restoresOn("dc1")).map((r) => [r.spec.backupName, r.status.phase])).toEqual([
        [taken[0]!.metadata.name, "Completed"],
      ]);
      expect(await replicas("dc1", "production")).toBe("3/3");
      expect(await replicas("dc1", "staging")).toBe("2/2");
      expect((await replicas("dc2", "production")).split("/")[0]).toBe("0");
      expect(await dnsWeights()).toEqual(["dc1=100", "dc2=0"]);
    } finally {
      await sync.stop();
    }
  }, 300_000);

  it("runs the monthly restore test: newest backup into scratch namespaces on DC2, ready, then deleted", async () => {
    velero.pause();
    const mapped = restoreIntoMappedNamespaces();
    try {
      const run = await execa(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "run",
          "restore-test",
          "payments",
          "--reason",
          "monthly",
          "--as",
          "U0ONCALL",
          "--json",
        ],
        { env, extendEnv: false, reject: false, timeout: 120_000 },
      );
      expect(mapped.errors).toEqual([]);
      expect(run.exitCode, run.stderr).toBe(0);
      const shown = JSON.parse(run.stdout) as {
        run: { state: string };
        steps: Record<string, { status: string; output?: string }>;
      };
      expect(shown.run.state, JSON.stringify(shown.steps)).toBe("completed");
      expect(
        Object.values(shown.steps).every((s) => s.status === "succeeded"),
        JSON.stringify(shown.steps),
      ).toBe(true);
      const mappings = (await restoresOn("dc2")).map((r) => r.spec.namespaceMapping).filter(Boolean);
      const [production, staging] = [clusters.ns("production"), clusters.ns("staging")];
      const scratch = [`drbot-restore-${production}`, `drbot-restore-${staging}`];
      expect(mappings).toEqual([{ [production]: scratch[0], [staging]: scratch[1] }]);
      await waitFor(
        async () => {
          const namespaces = await clusters.kubectl("dc2", "get", "namespaces", "-o", "name");
          return scratch.every((ns) => !namespaces.includes(ns));
        },
        { timeoutMs: 60_000, intervalMs: 500, description: "the scratch namespaces to be gone" },
      );
      // Production on DC2 was not touched by the test.
      expect((await replicas("dc2", "production")).split("/")[0]).toBe("0");
    } finally {
      await mapped.stop();
      velero.resume();
    }
  }, 300_000);
});
