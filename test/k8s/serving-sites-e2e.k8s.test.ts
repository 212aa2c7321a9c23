import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDnsProvider } from "../../src/adapters/dns/create-dns-provider.js";
import { ExecaCommandRunner } from "../../src/adapters/execa/execa-command-runner.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import type { Config } from "../../src/domain/config.js";
import type { Runbook } from "../../src/domain/runbook.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import type { DnsProvider } from "../../src/ports/dns.js";
import { kubernetesSites } from "../../src/runtime/create-runtime.js";
import { installDnsEndpointCrd } from "../support/external-dns-crds.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import { blocksText, INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Which site serves, on the two local clusters: the shipped failover and failback (their Kubernetes,
 * DNS, site-state and health-check steps; Velero, Longhorn and PostgreSQL are covered in
 * failover-data-e2e.k8s.test.ts) requested and approved in Slack, DNS on external-dns DNSEndpoints
 * on DC2, workloads checked with kubectl.
 *
 * payments is behind app.example.com, analytics behind analytics.example.com. Each application has
 * a health check per site on a local HTTP server; DC1's answer 503 while "DC1 is down" for the
 * applications. KWOK runs no containers: "Ready" is KWOK's simulated status, and the health checks
 * reach the local server, not a pod.
 */
let clusters: TestClusters;
let config: Config;
let dns: DnsProvider;
let health: { url: (path: string) => string; dc1Healthy: boolean; close(): Promise<void> };
let h: SlackHarness;
const siteState = new MemorySiteState();

async function startHealthServer(): Promise<typeof health> {
  const state = { dc1Healthy: false };
  const server: Server = createServer((req, res) => {
    const up = req.url?.startsWith("/dc2") || state.dc1Healthy;
    res.writeHead(up ? 200 : 503, { "content-type": "text/plain" }).end(up ? "status: ok" : "database down");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** The shipped runbook without the steps that need Velero, Longhorn or PostgreSQL. */
async function shipped(name: "failover" | "failback" | "drill"): Promise<Runbook> {
  const runbook = (await loadRunbooks("runbooks", config, createStepKindRegistry())).get(name)!;
  const elsewhere = (kind: string) => /^(velero|longhorn|db)\./.test(kind);
  return {
    ...runbook,
    phases: runbook.phases
      .map((p) => ({
        ...p,
        // The shipped retries, 50 ms apart instead of 10 s.
        steps: p.steps.filter((s) => !elsewhere(s.kind)).map((s) => ({ ...s, retryDelay: 50 })),
      }))
      .filter((p) => p.steps.length > 0),
  };
}

const checks = (app: string) => [
  { name: "dc1", url: health.url(`/dc1/${app}`), site: "dc1", bodyIncludes: "status: ok", timeout: "2s" },
  { name: "dc2", url: health.url(`/dc2/${app}`), site: "dc2", bodyIncludes: "status: ok", timeout: "2s" },
];

async function replicas(context: "dc1" | "dc2", ns: string, name: string): Promise<string> {
  return clusters.kubectl(
    context,
    "get",
    "deployment",
    name,
    "-n",
    ns,
    "-o",
    "jsonpath={.spec.replicas}/{.status.readyReplicas}",
  );
}

/** The weights in the DNSEndpoints on DC2, per record: { "app.example.com": "dc1=100 dc2=0" }. */
async function dnsWeights(): Promise<Record<string, string>> {
  const read = await dns.readWeights(["app.example.com", "analytics.example.com"]);
  return Object.fromEntries(Object.entries(read).map(([record, w]) => [record, `dc1=${w.dc1} dc2=${w.dc2}`]));
}

/** Types `/dr TEXT` as the on-call engineer and returns the ephemeral answer. */
async function answer(text: string): Promise<string> {
  const seen = h.ephemeralCount("U0ONCALL");
  await h.dr("U0ONCALL", text);
  return h.lastEphemeral("U0ONCALL", seen);
}

/** Requests, approves twice, and waits for the run's summary; returns the run's id and card. */
async function runToCompletion(text: string, title: "Failover" | "Failback") {
  const before = h.emulator.messages(INCIDENT).length;
  await h.dr("U0ONCALL", text);
  await waitFor(() => h.emulator.messages(INCIDENT).length > before, { description: `the ${title} card` });
  const card = h.emulator.messages(INCIDENT).at(-1)!;
  expect(card.text).toContain(`${title} requested`);
  const runId = /"value":"((?:failover|failback)-[a-z0-9-]+)\|/.exec(blocksText(card))![1]!;
  await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
  await waitFor(() => blocksText(h.emulator.message(INCIDENT, card.ts)!).includes("1/2"), {
    description: "the first approval",
  });
  await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
  await waitFor(
    async () => ["completed", "paused_failed_step", "failed"].includes((await h.store.getRun(runId))!.state),
    { timeoutMs: 120_000, description: `the ${title.toLowerCase()} to finish` },
  );
  const steps = await h.store.getSteps(runId);
  const run = (await h.store.getRun(runId))!;
  expect(run.state, JSON.stringify([...steps.values()].filter((s) => s.status !== "succeeded"))).toBe(
    "completed",
  );
  return { runId, card, steps };
}

beforeAll(async () => {
  clusters = await startTestClusters();
  health = await startHealthServer();
  const analytics = clusters.ns("analytics");
  const raw = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  config = clusters.config({
    // The clusters are shared with other test files and the machine with other work: no 2 s deadline.
    sites: raw.sites.map((s) => ({ ...s, requestTimeout: "10s" })),
    tiers: [
      { name: "tier1", rto: "2h", rpo: "15m" },
      { name: "tier3", rto: "8h", rpo: "4h" },
    ],
    applications: [
      { ...raw.applications[0], healthChecks: checks("payments") },
      {
        name: "analytics",
        tier: "tier3",
        namespaces: [analytics],
        workloads: [{ namespace: analytics, name: "analytics", replicas: 2 }],
        healthChecks: checks("analytics"),
      },
    ],
    // The failover waits one record TTL after DNS moved before it scales DC1 down (and the failback
    // before DC2): short here, as nothing resolves these names.
    dns: {
      provider: { kind: "external-dns", site: "dc2", namespace: clusters.ns("dns") },
      records: [
        {
          name: "app.example.com",
          applications: ["payments"],
          type: "CNAME",
          ttl: 2,
          weights: { dc1: 100, dc2: 0 },
          targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
        },
        {
          name: "analytics.example.com",
          applications: ["analytics"],
          type: "CNAME",
          ttl: 2,
          weights: { dc1: 100, dc2: 0 },
          targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
        },
      ],
    },
    slack: {
      incidentChannels: [INCIDENT],
      permissions: {
        failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
        failback: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
        drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } },
      },
    },
  });
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  for (const [context, count] of [
    ["dc1", 2],
    ["dc2", 0],
  ] as const) {
    await clusters.kubectl(context, "create", "namespace", analytics);
    await clusters.kubectl(
      context,
      "create",
      "deployment",
      "analytics",
      "-n",
      analytics,
      "--image=registry.example/analytics:1.0",
      `--replicas=${count}`,
    );
  }
  await installDnsEndpointCrd(clusters, "dc2");
  await clusters.kubectl("dc2", "create", "namespace", clusters.ns("dns"));
  dns = createDnsProvider(config, { commands: new ExecaCommandRunner(), env: {} })!;
  // The steady state, as external-dns publishes it before any failover: DC1 100, DC2 0.
  await dns.applyWeights({
    "app.example.com": { dc1: 100, dc2: 0 },
    "analytics.example.com": { dc1: 100, dc2: 0 },
  });
  h = await startSlackHarness({
    runbooks: [await shipped("failover"), await shipped("failback"), await shipped("drill")],
    config,
    siteState,
    services: { sites: kubernetesSites(config), dns },
  });
}, 600_000);
afterAll(async () => {
  await h?.stop();
  await health?.close();
});

describe("which site serves, on two real clusters", () => {
  it("/dr failover analytics moves analytics to DC2 and leaves app.example.com and payments at DC1, validating with DC2's checks only", async () => {
    const { runId, steps } = await runToCompletion(
      'failover analytics --reason "analytics down on DC1"',
      "Failover",
    );
    expect(await dnsWeights()).toEqual({
      "app.example.com": "dc1=100 dc2=0",
      "analytics.example.com": "dc1=0 dc2=100",
    });
    expect(await replicas("dc2", clusters.ns("analytics"), "analytics")).toBe("2/2");
    expect(await replicas("dc1", clusters.ns("analytics"), "analytics")).toMatch(/^0\//);
    expect(await replicas("dc1", clusters.ns("production"), "payments-api")).toBe("3/3");
    expect(await replicas("dc2", clusters.ns("production"), "payments-api")).toMatch(/^0\//);
    // DC1's check answers 503 all along; it is not part of DR's validation, which passed.
    expect([...steps.keys()].filter((id) => id.startsWith("health-checks."))).toEqual([
      "health-checks.analytics.dc2",
    ]);
    expect(steps.get("health-checks.analytics.dc2")!.output).toContain(
      `GET ${health.url("/dc2/analytics")} → 200`,
    );
    expect(steps.get("record-serving")!.output).toContain("analytics served from dc2 since");
    expect(await siteState.current()).toEqual([
      expect.objectContaining({ application: "analytics", from: "dc1", to: "dc2", runId, by: "U0ONCALL" }),
    ]);
    const status = await answer("status");
    expect(status).toContain(`analytics: serving from *dc2* since`);
    expect(status).toContain(`\`${runId}\` by <@U0ONCALL>`);
    expect(status).toContain("payments: serving from *dc1* (home)");
  });

  it("refuses a drill while DC2 serves, touching none of DC2's live namespaces", async () => {
    const runsBefore = (await h.store.listRuns()).length;
    const drill = await answer("drill analytics");
    expect(drill).toContain("*The standby site is serving production*");
    expect(drill).toContain("a drill runs on the standby, and dc2 is not one while it serves production");
    expect(await answer("drill payments")).toContain("Fail back first: /dr failback analytics");
    expect(await h.store.listRuns()).toHaveLength(runsBefore);
    for (const ns of [clusters.ns("analytics"), clusters.ns("production"), clusters.ns("staging")])
      expect(await clusters.kubectl("dc2", "get", "networkpolicy", "-n", ns, "-o", "name")).toBe("");
    expect(await replicas("dc2", clusters.ns("analytics"), "analytics")).toBe("2/2");
    // Nor may analytics fail over again: DC2 already serves it.
    expect(await answer('failover analytics --reason "again"')).toContain(
      "To bring them home: /dr failback analytics",
    );
  });

  it("/dr failback analytics brings it home: DNS back to DC1 with DC1's checks, DC2 to standby, app.example.com untouched", async () => {
    health.dc1Healthy = true;
    const { steps } = await runToCompletion('failback analytics --reason "DC1 repaired"', "Failback");
    expect(await dnsWeights()).toEqual({
      "app.example.com": "dc1=100 dc2=0",
      "analytics.example.com": "dc1=100 dc2=0",
    });
    expect([...steps.keys()].filter((id) => id.startsWith("health-checks."))).toEqual([
      "health-checks.analytics.dc1",
    ]);
    expect(await replicas("dc1", clusters.ns("analytics"), "analytics")).toBe("2/2");
    expect(await replicas("dc2", clusters.ns("analytics"), "analytics")).toMatch(/^0\//);
    expect(
      (await siteState.history({ application: "analytics" })).map((m) => `${m.kind} ${m.from}→${m.to}`),
    ).toEqual(["failback dc2→dc1", "failover dc1→dc2"]);
    // With everything home again, a drill may be requested (on DC2, the standby).
    const before = h.emulator.messages(INCIDENT).length;
    await h.dr("U0ONCALL", "drill analytics");
    await waitFor(() => h.emulator.messages(INCIDENT).length > before, { description: "the drill's card" });
    expect(h.emulator.messages(INCIDENT).at(-1)!.text).toContain("DR drill requested: analytics (dc1 → dc2)");
  });
});
