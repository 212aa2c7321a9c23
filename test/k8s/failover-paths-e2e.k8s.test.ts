import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { parseEnvironment } from "../../src/config/environment.js";
import type { RunRecord } from "../../src/domain/run.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import {
  missingRows,
  sampleWritability,
  startWriter,
  type WritabilitySampler,
} from "../support/postgres-load.js";
import { type PostgresPair, startPostgresPair } from "../support/postgres-pair.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { seedPaymentsDeployments, seedPaymentsObjects } from "../support/seed-payments-deployments.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped failover and failback, unchanged, on two real clusters with real Velero and the real
 * PostgreSQL pair, driven through drbot's runtime (request, two approvals, the engine): the planned
 * path while DC1 answers, with the application writing all along; the failback after rows were
 * written on DC2 during the outage; the emergency path with DC1's API server stopped. A sampler asks
 * both databases, over and over, whether they take writes.
 *
 * What the test bed cannot show: KWOK runs no containers (pods become Ready without running), the
 * DNS records are external-dns DNSEndpoints that nothing serves (the TTL is honoured by drbot's wait,
 * not by a resolver), and the application is the test's writer, not a pod.
 */
const MIN = 60_000;
const TTL_S = 2;
let clusters: TestClustersWithVelero;
let pg: PostgresPair;
let sampler: WritabilitySampler;
let configFile: string;
/** The configuration as written, for a test that points DC1 elsewhere. */
let configDoc: { sites: Record<string, unknown>[] } & Record<string, unknown>;

/** Each test's runtime, closed after it whatever happened, so no engine drives on into the next. */
const runtimes: Runtime[] = [];
/** One store and site state for the file: which site serves, as a failover records it, is what the failback reads. */
const store = new MemoryRunStore({ now: () => Date.now() });
const siteState = new MemorySiteState();

async function runtime(configPath = configFile): Promise<Runtime> {
  const rt = await createProvenRuntime({
    configPath,
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

/** Requests the runbook for payments, approves it twice and waits until it ends. */
async function runShipped(
  rt: Runtime,
  runbook: "failover" | "failback",
  options: { acceptsDataLoss?: boolean } = {},
): Promise<RunRecord> {
  const { run } = await rt.service.request({
    actor: "U0ONCALL",
    runbook,
    targets: ["payments"],
    reason: `${runbook} test`,
    source: "cli",
  });
  for (const actor of ["U0A1", "U0A2"])
    await rt.service.approve({ actor, runId: run.id, planHash: run.plan.hash, ...options });
  let last: RunRecord | undefined;
  await waitFor(
    async () => {
      last = await rt.store.getRun(run.id);
      return ["completed", "completed_with_exceptions", "paused_failed_step", "failed", "aborted"].includes(
        last?.state ?? "",
      );
    },
    { timeoutMs: 8 * MIN, intervalMs: 250, description: `the ${runbook} to end` },
  );
  if (last?.state !== "completed" && last?.state !== "completed_with_exceptions") {
    const steps = [...(await rt.store.getSteps(run.id)).values()].filter((s) => s.status !== "succeeded");
    throw new Error(`${runbook} ended ${last?.state}: ${last?.stateReason}; ${JSON.stringify(steps)}`);
  }
  return last;
}

beforeAll(async () => {
  [clusters, pg] = await Promise.all([startTestClustersWithVelero(), startPostgresPair()]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsObjects(clusters, "dc1", { configVersion: "1" });
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    `--include-namespaces=${clusters.ns("production")},${clusters.ns("staging")}`,
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
  configFile = join(await mkdtemp(join(tmpdir(), "drbot-failover-paths-")), "drbot.yaml");
  configDoc = {
    ...base,
    sites: base.sites.map((s) => ({ ...s, requestTimeout: "3s" })),
    tiers: [{ name: "tier1", rto: "15m", rpo: "15m" }],
    applications: base.applications.map((a) => ({ ...a, dataSources: ["velero-daily", "postgres-main"] })),
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
          ttl: TTL_S,
          weights: { dc1: 100, dc2: 0 },
          targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
        },
      ],
    },
  };
  await writeFile(configFile, stringify(configDoc));
  sampler = sampleWritability(pg);
}, 10 * MIN);
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close();
});
afterAll(async () => {
  await sampler?.stop();
  await Promise.all([clusters?.stop(), pg?.stop()]);
});

describe("the shipped failover's two paths and the failback of the data, on real clusters and PostgreSQL", () => {
  it(
    "takes the planned path while DC1 answers: no accepted write is lost, and the no-ready-site window is reported",
    async () => {
      const rt = await runtime();
      const writer = startWriter(pg, () => "primary", "planned");
      await waitFor(async () => writer.accepted.length > 20, { timeoutMs: 30_000, description: "writes" });
      const run = await runShipped(rt, "failover");
      await writer.stop();
      const steps = await rt.store.getSteps(run.id);
      expect(steps.get("probe-primary")?.outcome).toBe("reachable");
      expect(steps.get("stop-writes")?.status).toBe("succeeded");
      expect(steps.get("replica-caught-up")?.status).toBe("succeeded");
      expect(steps.get("fence-primary")).toMatchObject({ status: "skipped", resolvedBy: "condition" });
      expect(steps.get("scale-primary-down")?.outcome).toBe("confirmed");
      expect(await missingRows(pg, "replica", writer.accepted)).toEqual([]);
      const report = await rt.reports.build(run.id);
      expect(report.traffic).toMatchObject({ path: "planned", ttlMs: TTL_S * 1000, met: true });
      expect(report.outcome).toMatch(/no-ready-site window .* \(planned, met\)/);
      expect(report.fencing.unconfirmed).toEqual([]);
      expect(sampler.bothWritable()).toEqual([]);
    },
    8 * MIN,
  );

  it(
    "brings home what DC2 took during the outage: every row is in DC1 afterwards, never both writable",
    () => failBackWhileDc2Writes("outage"),
    8 * MIN,
  );

  it(
    "takes the emergency path with DC1's API server stopped: completes within the tier's RTO, fencing recorded as not confirmed",
    async () => {
      await clusters.stopApiServer("dc1");
      try {
        const rt = await runtime();
        await failOverInAnEmergency(rt);
      } finally {
        await clusters.startApiServer("dc1");
      }
    },
    8 * MIN,
  );

  it(
    "brings the data home after the emergency failover too: every row DC2 took is in DC1, never both writable",
    () => failBackWhileDc2Writes("after-emergency"),
    8 * MIN,
  );

  it(
    "takes the emergency path with DC1's API server hung: completes within the tier's RTO, fencing not confirmed, every call to DC1 ended by its deadline",
    async () => {
      // DC1's API server accepts connections and never answers (its database still does).
      const hung = await clusters.hangEndpoint();
      const hungConfig = join(dirname(configFile), "drbot-dc1-hung.yaml");
      await writeFile(
        hungConfig,
        stringify({
          ...configDoc,
          sites: configDoc.sites.map((s) =>
            s.name === "dc1" ? { ...s, kubeconfig: { path: hung.kubeconfigPath, context: hung.context } } : s,
          ),
        }),
      );
      const rt = await runtime(hungConfig);
      const run = await failOverInAnEmergency(rt);
      const steps = await rt.store.getSteps(run.id);
      // The probe and every fencing step asked DC1 and got no answer; none waited past its deadline.
      expect(steps.get("probe-primary")?.output ?? "").toMatch(/dc1/);
      expect(hung.connections()).toBeGreaterThan(0);
      // Each request to DC1 was cut off by its own deadline (the site's requestTimeout, 3 s), and its
      // connection closed: at once, or by undici's connect timeout (10 s) for one still in its TLS
      // handshake. Once drbot is shut down, none is left open waiting for an answer.
      runtimes.splice(runtimes.indexOf(rt), 1);
      await rt.close();
      const opened = hung.connections();
      await waitFor(async () => hung.open() === 0, {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: "every connection to the hung API server to be closed by drbot",
      }).catch((error: unknown) => {
        throw new Error(`${hung.open()} of ${opened} (now ${hung.connections()}) still open: ${error}`);
      });
    },
    8 * MIN,
  );
});

/**
 * The application writes on DC2 (serving since the failover) while the shipped failback runs: every
 * accepted row is on DC1 afterwards, DC1's database was rewound or re-seeded as DC2's replica first,
 * and at no sampled moment did both databases take writes.
 */
async function failBackWhileDc2Writes(tag: string): Promise<void> {
  const rt = await runtime();
  const outage = startWriter(pg, () => "replica", tag);
  await waitFor(async () => outage.accepted.length > 50, {
    timeoutMs: 30_000,
    description: "writes on DC2",
  });
  const run = await runShipped(rt, "failback");
  await outage.stop();
  const steps = await rt.store.getSteps(run.id);
  expect(steps.get("rejoin-primary-database")?.output).toMatch(/pg_rewind|pg_basebackup|already/);
  expect(await missingRows(pg, "primary", outage.accepted)).toEqual([]);
  expect(sampler.bothWritable()).toEqual([]);
}

/**
 * The shipped failover with DC1's API server not answering: the probe finds it unreachable, the
 * planned path's steps are skipped by their condition, the fencing of DC1's workloads is recorded as
 * not confirmed (the report and its outcome say so), and the run completes within the tier's RTO,
 * read from the run's recorded phases.
 */
async function failOverInAnEmergency(rt: Runtime): Promise<RunRecord> {
  // With the primary's API server out of reach, approvers accept whatever the RPO reading could not show.
  const run = await runShipped(rt, "failover", { acceptsDataLoss: true });
  const steps = await rt.store.getSteps(run.id);
  expect(steps.get("probe-primary")?.outcome).toBe("unreachable");
  expect(steps.get("stop-writes")).toMatchObject({ status: "skipped", resolvedBy: "condition" });
  expect(steps.get("dns-ttl-passed")).toMatchObject({ status: "skipped", resolvedBy: "condition" });
  expect(steps.get("fence-primary")?.outcome).toBe("unconfirmed");
  const report = await rt.reports.build(run.id);
  expect(report.fencing.unconfirmed).toContain("Scale the primary down where it still answers");
  expect(report.outcome).toMatch(/fencing NOT confirmed/);
  expect(report.traffic?.path).toBe("emergency");
  expect(report.rto.finished).toBe(true);
  expect(report.rto.met).toBe(true);
  expect(report.rto.totalMs).toBeLessThanOrEqual(run.tierRtoMs);
  const phases = report.rto.phases.reduce((sum, p) => sum + (p.ms ?? 0), 0);
  expect(phases + report.rto.waitingMs).toBeLessThanOrEqual(run.tierRtoMs);
  expect(sampler.bothWritable()).toEqual([]);
  return run;
}
