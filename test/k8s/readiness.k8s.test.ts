import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { TlsCertificateReader } from "../../src/adapters/tls/tls-certificate-reader.js";
import { assessReadiness } from "../../src/app/readiness/assess-readiness.js";
import type { Config } from "../../src/domain/config.js";
import type {
  ApplicationReadiness,
  ReadinessCheck,
  ReadinessReport,
} from "../../src/domain/readiness/readiness.js";
import { silentLogger } from "../../src/ports/logger.js";
import { kubernetesInventories } from "../../src/runtime/site-services.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { runEvent, runRecord } from "../support/run-fixtures.js";
import { applyWidgetCrd, SEEDED_SECRET_VALUE, seedReadinessApp } from "../support/seed-readiness-app.js";
import { startTlsEndpoint, type TlsEndpoint } from "../support/tls-endpoint.js";

/**
 * Readiness on two real clusters (dc1 serving, dc2 standing by) for two applications of one tier,
 * each in a namespace of its own: a change on one site to one application's images, configuration,
 * CRDs, CronJobs or drill history turns exactly that application's readiness, with the evidence,
 * and undoing it turns it back; so does a certificate of its DR health endpoint (a local TLS server)
 * expiring within the tier's RTO plus the margin. What KWOK cannot show: no container runs, so images are compared as
 * the pod templates name them, never pulled; that a pod would start without its ConfigMap or Secret
 * is the check's reasoning, not something these clusters try.
 */
const DAY = 86_400_000;
let clusters: TestClusters;
let config: Config;
let crdGroup: string;
/** payments' https health endpoint on dc2: its certificate valid for 60 days, and one for 3. */
let longCert: TlsEndpoint;
let shortCert: TlsEndpoint;
const apps = () => [
  { name: "payments", namespace: clusters.ns("payments") },
  { name: "ledger", namespace: clusters.ns("ledger") },
];

/** A store whose run history holds a completed drill of each application, `ageDays` old. */
async function drilled(ageDays: Record<string, number>): Promise<MemoryRunStore> {
  const store = new MemoryRunStore({ now: () => Date.now() });
  for (const [app, age] of Object.entries(ageDays)) {
    const at = Date.now() - age * DAY;
    const run = runRecord({
      kind: "drill",
      mode: "drill",
      state: "completed",
      scope: { applications: [app], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
      createdAt: at,
      updatedAt: at,
      rto: { requestedAt: at, validationEndedAt: at },
    });
    await store.createRun(run, [], runEvent(run.id));
  }
  return store;
}

async function assess(store?: MemoryRunStore): Promise<ReadinessReport> {
  const round = assessReadiness({
    config,
    runbooks: new Map([["drill", { kind: "drill" as const }]]),
    siteState: new MemorySiteState(),
    inventories: kubernetesInventories(config),
    runs: store ?? (await drilled({ payments: 10, ledger: 10 })),
    certificates: new TlsCertificateReader({ ca: [longCert.ca, shortCert.ca] }),
    clock: { now: () => Date.now() },
    log: silentLogger,
  });
  return round({ signal: AbortSignal.timeout(20_000) });
}

const of = (report: ReadinessReport, app: string): ApplicationReadiness =>
  report.applications.find((a) => a.application === app)!;
const finding = (report: ReadinessReport, app: string, check: ReadinessCheck) =>
  of(report, app).findings.find((f) => f.check === check)!;
const verdicts = (report: ReadinessReport) => report.applications.map((a) => [a.application, a.verdict]);

/** Both applications ready: every check of each, not only the verdict. */
async function expectAllReady(store?: MemoryRunStore): Promise<void> {
  const report = await assess(store);
  const open = report.applications.flatMap((a) =>
    a.findings.filter((f) => f.verdict !== "ready").map((f) => `${a.application} ${f.check}: ${f.summary}`),
  );
  expect(open).toEqual([]);
}

beforeAll(async () => {
  [clusters, longCert, shortCert] = await Promise.all([
    startTestClusters(),
    startTlsEndpoint(60),
    startTlsEndpoint(3),
  ]);
  crdGroup = `${clusters.ns("readiness")}.example.com`;
  await Promise.all(
    (["dc1", "dc2"] as const).map(async (site) => {
      await applyWidgetCrd(clusters, site, crdGroup);
      for (const app of apps()) await seedReadinessApp(clusters, site, { ...app, serving: site === "dc1" });
    }),
  );
  config = configWith(longCert);
}, 300_000);

/** Both applications as seeded, payments' health check on dc2 at `endpoint`. */
function configWith(endpoint: TlsEndpoint): Config {
  return clusters.config({
    applications: apps().map((app) => ({
      name: app.name,
      tier: "tier1",
      namespaces: [app.namespace],
      workloads: [{ namespace: app.namespace, name: `${app.name}-api`, replicas: 2 }],
      cronJobs: [{ namespace: app.namespace, name: "*" }],
      // Payments' objects are made of the CRD; ledger uses none.
      ...(app.name === "payments"
        ? {
            readiness: { crds: [`widgets.${crdGroup}`] },
            healthChecks: [{ name: "api-dc2", url: endpoint.url, site: "dc2" }],
          }
        : {}),
    })),
    calendar: {
      schedules: [{ name: "quarterly-drill", cron: "0 9 1 1,4,7,10 *", remind: "drill", targets: ["tier1"] }],
    },
  });
}

afterAll(async () => {
  if (clusters)
    await Promise.all(
      (["dc1", "dc2"] as const).flatMap((site) => [
        clusters.kubectl(site, "delete", "crd", `widgets.${crdGroup}`, "--ignore-not-found", "--wait=false"),
        ...apps().map((app) => clusters.kubectl(site, "delete", "namespace", app.namespace, "--wait=false")),
      ]),
    );
  await Promise.all([clusters?.stop(), longCert?.close(), shortCert?.close()]);
});

describe("readiness on two real clusters", () => {
  it("is ready for both applications when dc2 stands by as dc1 serves, and shows no Secret's value", async () => {
    const report = await assess();
    await expectAllReady();
    expect(finding(report, "payments", "drift").summary).toBe(
      "dc2 matches dc1: 2 workloads, 1 ConfigMaps, 1 Secrets, 1 CRDs",
    );
    expect(finding(report, "payments", "standby").summary).toBe(
      "dc2 stands by: 1 CronJobs suspended, 1 workloads at their standby replicas",
    );
    expect(finding(report, "payments", "capacity").summary).toBe(
      "dc2 has the capacity (N-1) and the node labels the pods select",
    );
    expect(JSON.stringify(report)).not.toContain(SEEDED_SECRET_VALUE);
  });

  it("an image bumped on dc1 only degrades payments alone, naming both images; setting it back makes it ready", async () => {
    const ns = clusters.ns("payments");
    await clusters.kubectl(
      "dc1",
      "set",
      "image",
      "deployment/payments-api",
      "api=registry.example/payments:2.1",
      "-n",
      ns,
    );
    const report = await assess();
    expect(verdicts(report)).toEqual([
      ["payments", "degraded"],
      ["ledger", "ready"],
    ]);
    expect(finding(report, "payments", "drift").evidence).toEqual([
      `image Deployment ${ns}/payments-api container api: registry.example/payments:2.1 on dc1, registry.example/payments:2.0 on dc2`,
    ]);
    await clusters.kubectl(
      "dc1",
      "set",
      "image",
      "deployment/payments-api",
      "api=registry.example/payments:2.0",
      "-n",
      ns,
    );
    await expectAllReady();
  });

  it("a ConfigMap edited on dc1 only degrades payments alone, by hash; restoring it makes it ready", async () => {
    const ns = clusters.ns("payments");
    const edit = (mode: string) =>
      clusters.kubectl(
        "dc1",
        "patch",
        "configmap",
        "payments-config",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ data: { mode } }),
      );
    await edit("maintenance");
    const report = await assess();
    expect(verdicts(report)).toEqual([
      ["payments", "degraded"],
      ["ledger", "ready"],
    ]);
    const [line] = finding(report, "payments", "drift").evidence;
    expect(line).toMatch(
      new RegExp(
        `^ConfigMap ${ns}/payments-config: content differs \\(sha256 [0-9a-f]{12} on dc1, [0-9a-f]{12} on dc2\\)$`,
      ),
    );
    expect(JSON.stringify(report)).not.toContain("maintenance");
    await edit("live");
    await expectAllReady();
  });

  it("a CRD missing on dc2 makes payments, which uses it, not ready alone; restoring it makes it ready", async () => {
    await clusters.kubectl("dc2", "delete", "crd", `widgets.${crdGroup}`, "--wait=true", "--timeout=60s");
    const report = await assess();
    expect(verdicts(report)).toEqual([
      ["payments", "not_ready"],
      ["ledger", "ready"],
    ]);
    expect(finding(report, "payments", "drift").evidence).toEqual([
      `CRD widgets.${crdGroup}: missing on dc2`,
    ]);
    await applyWidgetCrd(clusters, "dc2", crdGroup);
    await expectAllReady();
  });

  it("a CronJob left active on dc2 degrades payments' standby alone; suspending it makes it ready", async () => {
    const ns = clusters.ns("payments");
    const suspend = (value: boolean) =>
      clusters.kubectl(
        "dc2",
        "patch",
        "cronjob",
        "payments-settle",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { suspend: value } }),
      );
    await suspend(false);
    const report = await assess();
    expect(verdicts(report)).toEqual([
      ["payments", "degraded"],
      ["ledger", "ready"],
    ]);
    expect(finding(report, "payments", "standby")).toMatchObject({
      verdict: "degraded",
      summary: `CronJob ${ns}/payments-settle: not suspended on dc2`,
    });
    await suspend(true);
    await expectAllReady();
  });

  it("ledger scaled up on dc2 while dc1 serves degrades ledger's standby alone; scaling it back makes it ready", async () => {
    const ns = clusters.ns("ledger");
    await clusters.kubectl("dc2", "scale", "deployment/ledger-api", "--replicas=2", "-n", ns);
    const report = await assess();
    expect(verdicts(report)).toEqual([
      ["payments", "ready"],
      ["ledger", "degraded"],
    ]);
    expect(finding(report, "ledger", "standby").evidence).toEqual([
      `Deployment ${ns}/ledger-api: 2 replicas on dc2, standby keeps 0`,
    ]);
    await clusters.kubectl("dc2", "scale", "deployment/ledger-api", "--replicas=0", "-n", ns);
    await expectAllReady();
  });

  it("a node label payments' pods select on dc1 that no dc2 node has makes payments not ready alone; labelling a dc2 node makes it ready", async () => {
    const ns = clusters.ns("payments");
    const label = `readiness.drbot.test/${clusters.ns("disk")}`;
    const select = (selector: Record<string, string | null>) =>
      clusters.kubectl(
        "dc1",
        "patch",
        "deployment",
        "payments-api",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { template: { spec: { nodeSelector: selector } } } }),
      );
    await clusters.kubectl("dc1", "label", "node", "dc1-node-0", `${label}=ssd`, "--overwrite");
    await select({ "kubernetes.io/os": "linux", [label]: "ssd" });
    try {
      const report = await assess();
      expect(verdicts(report)).toEqual([
        ["payments", "not_ready"],
        ["ledger", "ready"],
      ]);
      expect(finding(report, "payments", "capacity").summary).toBe(
        `Deployment ${ns}/payments-api selects kubernetes.io/os=linux, ${label}=ssd: no Ready node on dc2 has it`,
      );
      await clusters.kubectl("dc2", "label", "node", "dc2-node-0", `${label}=ssd`, "--overwrite");
      await expectAllReady();
    } finally {
      await select({ [label]: null }); // a merge patch removes a key set to null
      for (const site of ["dc1", "dc2"] as const)
        await clusters.kubectl(site, "label", "node", `${site}-node-0`, `${label}-`);
    }
  });

  it("a certificate of payments' dc2 endpoint expiring within the RTO plus 7 days degrades payments alone; a renewed one makes it ready", async () => {
    config = configWith(shortCert);
    try {
      const report = await assess();
      expect(verdicts(report)).toEqual([
        ["payments", "degraded"],
        ["ledger", "ready"],
      ]);
      expect(finding(report, "payments", "certificates").summary).toMatch(
        /^api-dc2: certificate CN=localhost expires \S+, within the RTO plus 7d$/,
      );
    } finally {
      config = configWith(longCert);
    }
    await expectAllReady();
  });

  it("an overdue drill degrades payments alone; a drill completed now makes it ready", async () => {
    const store = await drilled({ payments: 200, ledger: 10 });
    const report = await assess(store);
    expect(verdicts(report)).toEqual([
      ["payments", "degraded"],
      ["ledger", "ready"],
    ]);
    expect(finding(report, "payments", "drill").summary).toMatch(
      /^drill overdue for payments: last successful drill 200d ago/,
    );
    const now = Date.now();
    const drill = runRecord({
      kind: "drill",
      mode: "drill",
      state: "completed",
      scope: { applications: ["payments", "ledger"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
      createdAt: now,
      updatedAt: now,
      rto: { requestedAt: now, validationEndedAt: now },
    });
    await store.createRun(drill, [], runEvent(drill.id));
    await expectAllReady(store);
  });
});
