import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { parseEnvironment } from "../../src/config/environment.js";
import type { RunRecord, RunState } from "../../src/domain/run.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import { acceptsWrites } from "../support/postgres-load.js";
import { type PostgresPair, startPostgresPair } from "../support/postgres-pair.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { seedPaymentsDeployments, seedPaymentsObjects } from "../support/seed-payments-deployments.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped failover, unchanged, on two real clusters with real Velero and the real PostgreSQL
 * pair, stopped on its planned path before DR is promoted: DR's replica has its WAL replay paused
 * (replication stopped on DR), so after the primary's writes stop, replica-caught-up cannot finish.
 * Whether the run fails at that step's deadline (2 minutes, as shipped) or an operator aborts it
 * during the catch-up, the primary must come out as it went in: its database takes writes, the
 * CronJob the run suspended runs again (the one suspended before the run stays suspended), its
 * Velero storage location is ReadWrite, and its Deployments were never touched.
 *
 * What the test bed cannot show: KWOK runs no containers (no Job would really start from a resumed
 * CronJob), and the application is the test's SQL session, not a pod.
 */
const MIN = 60_000;
let clusters: TestClustersWithVelero;
let pg: PostgresPair;
let configFile: string;

const runtimes: Runtime[] = [];
const store = new MemoryRunStore({ now: () => Date.now() });
const siteState = new MemorySiteState();

async function runtime(): Promise<Runtime> {
  const rt = await createProvenRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    store,
    siteState,
    env: parseEnvironment({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PG_TEST_PASSWORD: pg.drbotPassword,
      PG_TEST_SUPER_PASSWORD: pg.superPassword,
    }),
  });
  runtimes.push(rt);
  return rt;
}

async function kubectl(...args: string[]): Promise<string> {
  return (await clusters.kubectl("dc1", ...args)).trim();
}

/** What proves the primary untouched or given back, read with the admin context. */
async function primaryState() {
  const ns = clusters.ns("production");
  const jsonpath = (kind: string, name: string, path: string) =>
    kubectl("get", kind, name, "-n", ns, "-o", `jsonpath={${path}}`);
  return {
    nightlySuspended: await jsonpath("cronjob", "payments-nightly", ".spec.suspend"),
    pausedSuspended: await jsonpath("cronjob", "payments-paused", ".spec.suspend"),
    marks: await kubectl("get", "cronjob", "-n", ns, "-o", "jsonpath={.items[*].metadata.annotations}"),
    backups: await kubectl(
      "get",
      "backupstoragelocation",
      "default",
      "-n",
      "velero",
      "-o",
      "jsonpath={.spec.accessMode}",
    ),
    // A scale changes spec.replicas and so the generation: the same generation means never scaled.
    deployment: await kubectl(
      "get",
      "deployment",
      "payments-api",
      "-n",
      ns,
      "-o",
      "jsonpath={.metadata.generation}/{.spec.replicas}",
    ),
    writable: await acceptsWrites(pg, "primary"),
  };
}

/** Requests the failover for payments and approves it twice; the run starts on the last approval. */
async function requestFailover(rt: Runtime): Promise<RunRecord> {
  const { run } = await rt.service.request({
    actor: "U0ONCALL",
    runbook: "failover",
    targets: ["payments"],
    reason: "planned switchover test",
    source: "cli",
  });
  // DR's replay is paused, so the RPO reading may show data at risk: the approvers accept it.
  for (const actor of ["U0A1", "U0A2"])
    await rt.service.approve({ actor, runId: run.id, planHash: run.plan.hash, acceptsDataLoss: true });
  return run;
}

async function waitForEnd(rt: Runtime, runId: string, states: RunState[]): Promise<RunRecord> {
  let last: RunRecord | undefined;
  await waitFor(
    async () => {
      last = await rt.store.getRun(runId);
      return states.includes(last?.state ?? "pending_approval");
    },
    { timeoutMs: 6 * MIN, intervalMs: 250, description: `the failover to end ${states.join(" or ")}` },
  ).catch(async (error: unknown) => {
    const steps = [...(await rt.store.getSteps(runId)).values()].map((s) => `${s.id}: ${s.status}`);
    throw new Error(`${error}; the run is ${last?.state} (${last?.stateReason}); ${steps.join(", ")}`);
  });
  return last!;
}

/** Everything the planned path stopped on the primary is back, and nothing else was touched. */
async function expectPrimaryGivenBack(rt: Runtime, run: RecordLike, before: PrimaryState): Promise<void> {
  const steps = await rt.store.getSteps(run.id);
  expect(steps.get("probe-primary")?.outcome).toBe("reachable");
  expect(steps.get("stop-writes")).toMatchObject({ status: "succeeded", undone: true });
  expect(steps.get("primary-backups-read-only")).toMatchObject({ status: "succeeded", undone: true });
  // Nothing after the catch-up was attempted: no promotion, no fencing, no scaling, no DNS.
  for (const id of ["fence-primary", "promote-database", "scale-up", "switch-dns", "scale-primary-down"])
    for (const [stepId, record] of steps)
      if (stepId === id || stepId.startsWith(`${id}.`)) expect(record.attempts, stepId).toBe(0);
  const after = await primaryState();
  expect(after).toEqual(before);
  expect(after.writable).toBe(true);
  expect(after.nightlySuspended).toBe("false");
  expect(after.pausedSuspended).toBe("true");
  expect(after.backups).toBe("ReadWrite");
  expect(await rt.store.getRun(run.id)).toMatchObject({ state: run.state });
}
type RecordLike = Pick<RunRecord, "id" | "state">;
type PrimaryState = Awaited<ReturnType<typeof primaryState>>;

beforeAll(async () => {
  [clusters, pg] = await Promise.all([startTestClustersWithVelero(), startPostgresPair()]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsObjects(clusters, "dc1", { configVersion: "1" });
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  const production = clusters.ns("production");
  for (const [name, suspended] of [
    ["payments-nightly", "false"],
    ["payments-paused", "true"],
  ] as const) {
    await kubectl(
      "create",
      "cronjob",
      name,
      "-n",
      production,
      "--image=registry.example/payments-batch:2.0",
      "--schedule=0 3 1 1 *",
    );
    await kubectl(
      "patch",
      "cronjob",
      name,
      "-n",
      production,
      "--type=merge",
      "-p",
      `{"spec":{"suspend":${suspended}}}`,
    );
  }
  await kubectl(
    "patch",
    "backupstoragelocation",
    "default",
    "-n",
    "velero",
    "--type=merge",
    "-p",
    '{"spec":{"accessMode":"ReadWrite"}}',
  );
  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    `--include-namespaces=${production},${clusters.ns("staging")}`,
  );
  const backup = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  await clusters.velero.waitForBackup("dc2", backup, 3 * MIN);
  await installDnsEndpointCrd(clusters, "dc2");
  await clusters.kubectl("dc2", "create", "namespace", clusters.ns("dns"));
  const base = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  const permissions = { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } };
  configFile = join(await mkdtemp(join(tmpdir(), "drbot-stopped-failover-")), "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      ...base,
      sites: base.sites.map((s) => ({ ...s, requestTimeout: "3s" })),
      tiers: [{ name: "tier1", rto: "15m", rpo: "15m" }],
      applications: base.applications.map((a) => ({
        ...a,
        dataSources: ["velero-daily", "postgres-main"],
        ...(a.name === "payments"
          ? {
              cronJobs: [
                { namespace: production, name: "payments-nightly" },
                { namespace: production, name: "payments-paused" },
              ],
            }
          : {}),
      })),
      dataSources: [
        { name: "velero-daily", kind: "velero", site: "dc2", schedule: "daily-backup" },
        pg.rejoinableSource({ name: "postgres-main" }),
      ],
      slack: {
        incidentChannels: ["C0INCIDENT"],
        permissions: { failover: permissions, failback: permissions },
      },
      dns: {
        provider: { kind: "external-dns", site: "dc2", namespace: clusters.ns("dns") },
        records: [
          {
            name: "payments.example.com",
            applications: ["payments"],
            type: "CNAME",
            ttl: 2,
            weights: { dc1: 100, dc2: 0 },
            targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
          },
        ],
      },
    }),
  );
}, 10 * MIN);
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close();
  await pg?.sql("replica", "SELECT pg_wal_replay_resume()");
});
afterAll(async () => {
  await Promise.all([clusters?.stop(), pg?.stop()]);
});

describe("the shipped failover stopped on its planned path before promotion gives the primary back", () => {
  it(
    "fails when DR's replica cannot catch up (replay paused): the primary takes writes again, its CronJob resumed, backups ReadWrite, workloads untouched",
    async () => {
      const before = await primaryState();
      expect(before).toMatchObject({ writable: true, nightlySuspended: "false", backups: "ReadWrite" });
      await pg.sql("replica", "SELECT pg_wal_replay_pause()");
      const rt = await runtime();
      const run = await requestFailover(rt);
      const ended = await waitForEnd(rt, run.id, ["failed", "aborted", "completed", "paused_failed_step"]);
      expect(ended.state).toBe("failed");
      expect(ended.stateReason).toMatch(/replica-caught-up (timed out|failed)/);
      await expectPrimaryGivenBack(rt, ended, before);
      const report = await rt.reports.build(run.id);
      expect(report.notUndone).toEqual([]);
    },
    8 * MIN,
  );

  it(
    "is aborted by an operator during the catch-up: the primary takes writes again, its CronJob resumed, backups ReadWrite, workloads untouched",
    async () => {
      const before = await primaryState();
      expect(before).toMatchObject({ writable: true, nightlySuspended: "false", backups: "ReadWrite" });
      await pg.sql("replica", "SELECT pg_wal_replay_pause()");
      const rt = await runtime();
      const run = await requestFailover(rt);
      await waitFor(
        async () => (await rt.store.getSteps(run.id)).get("replica-caught-up")?.status === "running",
        {
          timeoutMs: 2 * MIN,
          intervalMs: 100,
          description: "replica-caught-up to be running",
        },
      );
      // Meanwhile the primary is read-only, its CronJob suspended and its backups stopped.
      expect(await acceptsWrites(pg, "primary")).toBe(false);
      expect(
        await kubectl(
          "get",
          "cronjob",
          "payments-nightly",
          "-n",
          clusters.ns("production"),
          "-o",
          "jsonpath={.spec.suspend}",
        ),
      ).toBe("true");
      await rt.service.abort({ actor: "U0A1", runId: run.id, note: "replication is broken" });
      const ended = await waitForEnd(rt, run.id, ["aborted", "failed", "completed"]);
      expect(ended.state).toBe("aborted");
      await expectPrimaryGivenBack(rt, ended, before);
    },
    8 * MIN,
  );
});
