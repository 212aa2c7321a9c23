import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KubernetesSite } from "../../src/adapters/kubernetes/kubernetes-site.js";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { type Config, configSchema } from "../../src/domain/config.js";
import type { Runbook } from "../../src/domain/runbook.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { kubernetesSites, type Runtime } from "../../src/runtime/create-runtime.js";
import { expectWithinDeadline } from "../support/deadline.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { readPaymentsReplicas, seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import { INCIDENT, startSlackHarness } from "../support/slack-harness.js";
import { startShippedDrill } from "../support/start-shipped-drill.js";
import { waitFor } from "../support/wait-for.js";

/**
 * drbot against two real clusters: the shipped drill runbook end to end, a failover requested and
 * approved in Slack that brings DC2's workloads up (checked with kubectl) and validates the
 * application's health checks against a local HTTP server, a failover whose health check fails and
 * pauses, and status while DC1 is hung or stopped.
 */
let clusters: TestClusters;
let configFile: string;
let health: HealthServer;

/** The application's health endpoint on 127.0.0.1: /healthz answers 200, /broken 503; requests counted. */
interface HealthServer {
  url(path: "/healthz" | "/broken"): string;
  requests(path: string): number;
  close(): Promise<void>;
}

async function startHealthServer(): Promise<HealthServer> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (path === "/healthz") res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    else if (path === "/broken") res.writeHead(503, { "content-type": "text/plain" }).end("database down");
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests: (path) => counts.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The test configuration with the application's health check on `path` of the local server. */
function rawConfigChecking(path: "/healthz" | "/broken"): Record<string, unknown> {
  const config = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  return {
    ...config,
    sites: config.sites.map((s) => ({ ...s, requestTimeout: "5s" })),
    applications: config.applications.map((a) => ({
      ...a,
      healthChecks: [{ name: "api", url: health.url(path), timeout: "2s" }],
    })),
  };
}

const configChecking = (path: "/healthz" | "/broken"): Config => configSchema.parse(rawConfigChecking(path));

/**
 * The Kubernetes part of the shipped failover, health checks included: its Velero steps (against
 * real Velero), Longhorn, database and DNS steps with their servers run end to end, unchanged, in
 * failover-data-e2e.k8s.test.ts; here the clusters have no Velero and no DNS provider.
 */
type RunbookStep = Runbook["phases"][number]["steps"][number];

async function shippedFailoverOnKubernetes(
  config: Config,
  change: (step: RunbookStep) => RunbookStep = (s) => s,
): Promise<Runbook> {
  const shipped = await loadRunbooks("runbooks", config, createStepKindRegistry());
  const failover = shipped.get("failover")!;
  // Already parsed (durations in milliseconds): changed as data, not parsed again.
  return {
    ...failover,
    phases: failover.phases
      .map((p) => ({
        ...p,
        steps: p.steps.filter((s) => !s.kind.startsWith("velero.") && s.kind !== "dns.switch").map(change),
      }))
      .filter((p) => p.steps.length > 0),
  };
}

beforeAll(async () => {
  [clusters, health] = await Promise.all([startTestClusters(), startHealthServer()]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  const dir = await mkdtemp(join(tmpdir(), "drbot-k8s-e2e-"));
  configFile = join(dir, "drbot.yaml");
  await writeFile(configFile, stringify(rawConfigChecking("/healthz")));
}, 600_000);
afterAll(async () => {
  await Promise.all([clusters?.stop(), health?.close()]);
});

const replicasOf = (ctx: "dc1" | "dc2", ns: "production" | "staging") =>
  readPaymentsReplicas(clusters, ctx, ns);

describe("on two real clusters", () => {
  it("runs the shipped drill end to end and leaves nothing behind", async () => {
    const rt: Runtime = await createProvenRuntime({
      configPath: configFile,
      runbooksDir: "runbooks",
      store: new MemoryRunStore({ now: () => Date.now() }),
    });
    try {
      const run = await startShippedDrill(rt, "quarterly drill");
      await waitFor(
        async () =>
          ["completed", "completed_with_exceptions", "paused_failed_step", "failed"].includes(
            (await rt.store.getRun(run.id))!.state,
          ),
        { timeoutMs: 50_000, description: "the drill to finish" },
      ).catch(async (e) => {
        console.log(
          JSON.stringify(await rt.store.getRun(run.id).then((r) => r?.state)),
          JSON.stringify(
            [...(await rt.store.getSteps(run.id)).values()].filter((s) => s.status !== "succeeded"),
          ),
        );
        throw e;
      });
      const done = (await rt.store.getRun(run.id))!;
      const steps = await rt.store.getSteps(run.id);
      expect(done.state, JSON.stringify([...steps.values()].filter((s) => s.status !== "succeeded"))).toBe(
        "completed",
      );
      expect(steps.get(`wait-ready.${clusters.ns("production")}.payments-api`)!.output).toContain(
        "1 workload(s) ready on dc2",
      );
      expect(steps.get("health-checks.payments.api")).toMatchObject({ status: "succeeded" });
      expect(steps.get("health-checks.payments.api")!.output).toContain(
        `GET ${health.url("/healthz")} → 200`,
      );
      expect(steps.get("diff")!.output).toContain(`Deployment ${clusters.ns("production")}/payments-api`);
      expect(steps.get("verify-clean")!.output).toContain(`nothing labelled with ${run.id} remains`);
      expect(steps.get("isolate")!.output).toContain("drbot-isolate");
      expect(await replicasOf("dc2", "production")).toBe("0/");
      for (const ns of [clusters.ns("production"), clusters.ns("staging")])
        expect(await clusters.kubectl("dc2", "get", "networkpolicy", "-n", ns, "-o", "name")).toBe("");
      expect(await replicasOf("dc1", "production")).toBe("3/3");
    } finally {
      await rt.close();
    }
  });

  it("fails over from Slack: two approvals, DC2's workloads Ready by kubectl, the application's health checked", async () => {
    const config = configChecking("/healthz");
    const k8sOnly = await shippedFailoverOnKubernetes(config);
    const checksBefore = health.requests("/healthz");
    const h = await startSlackHarness({
      runbooks: [k8sOnly],
      config,
      services: { sites: kubernetesSites(config) },
    });
    try {
      await h.dr("U0ONCALL", 'failover payments --reason "DC1 power loss"');
      const card = await h.findMessage("Failover requested");
      await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
      await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
      const runId = (await h.store.listRuns())[0]!.id;
      const progress = await h.findMessage(`Failover ${runId}`);
      await waitFor(
        () => JSON.stringify(h.emulator.message(INCIDENT, progress.ts)!.blocks).includes("Summary"),
        { timeoutMs: 120_000, description: "the failover summary" },
      );
      expect((await h.store.getRun(runId))!.state).toBe("completed");
      // The validation phase checked the application's health endpoint, after DC2 was up.
      const steps = await h.store.getSteps(runId);
      const check = steps.get("health-checks.payments.api");
      expect(check, JSON.stringify([...steps.keys()])).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(check!.output).toContain(`GET ${health.url("/healthz")} → 200`);
      expect(health.requests("/healthz")).toBe(checksBefore + 1);
      expect(JSON.stringify(h.emulator.message(INCIDENT, progress.ts)!.blocks)).toContain(
        "Application health",
      );
      expect(await replicasOf("dc2", "production")).toBe("3/3");
      expect(await replicasOf("dc2", "staging")).toBe("2/2");
      // The primary answered, so it was fenced.
      expect(
        await clusters.kubectl(
          "dc1",
          "get",
          "deployment",
          "payments-api",
          "-n",
          clusters.ns("production"),
          "-o",
          "jsonpath={.spec.replicas}",
        ),
      ).toBe("0");
    } finally {
      await h.stop();
      await clusters.kubectl(
        "dc1",
        "scale",
        "deployment",
        "payments-api",
        "-n",
        clusters.ns("production"),
        "--replicas=3",
      );
    }
  });

  it("pauses the failover when the application's health check fails, showing the evidence", async () => {
    const config = configChecking("/broken");
    // The shipped retries (5), 50 ms apart instead of 10 s, so the test does not wait a minute.
    const k8sOnly = await shippedFailoverOnKubernetes(config, (s) =>
      s.id === "health-checks" ? { ...s, retryDelay: 50 } : s,
    );
    const h = await startSlackHarness({
      runbooks: [k8sOnly],
      config,
      services: { sites: kubernetesSites(config) },
    });
    try {
      await h.dr("U0ONCALL", 'failover payments --reason "DC1 power loss"');
      const card = await h.findMessage("Failover requested");
      await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
      await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
      const runId = (await h.store.listRuns())[0]!.id;
      const progress = await h.findMessage(`Failover ${runId}`);
      await waitFor(async () => (await h.store.getRun(runId))?.state === "paused_failed_step", {
        timeoutMs: 45_000,
        description: "the failover to pause on the failed health check",
      });
      const steps = await h.store.getSteps(runId);
      const check = steps.get("health-checks.payments.api")!;
      const evidence = `${health.url("/broken")} answered 503, expected 200`;
      expect(check).toMatchObject({ status: "failed", attempts: 6, error: evidence });
      expect(health.requests("/broken")).toBe(6);
      // Everything before validation ran; the announcement after it did not.
      expect(steps.get(`wait-ready.${clusters.ns("production")}.payments-api`)).toMatchObject({
        status: "succeeded",
      });
      expect(steps.get("announce")).toMatchObject({ status: "not_started" });
      expect((await h.store.getRun(runId))!.stateReason).toContain("health-checks.payments.api");
      // The channel shows the paused run with the evidence and a way to go on.
      await waitFor(
        () => {
          const blocks = JSON.stringify(h.emulator.message(INCIDENT, progress.ts)?.blocks ?? []);
          return blocks.includes("dr:resume") && blocks.includes("answered 503");
        },
        { timeoutMs: 30_000, description: "the paused run with its evidence in the channel" },
      );
    } finally {
      await h.stop();
      await clusters.kubectl(
        "dc1",
        "scale",
        "deployment",
        "payments-api",
        "-n",
        clusters.ns("production"),
        "--replicas=3",
      );
    }
  });

  it("answers status within its deadline while DC1 hangs, marking DC1 down and DC2 healthy", async () => {
    const config = clusters.config();
    const hungFile = await clusters.hungKubeconfig();
    const sites = {
      site: (name: string) =>
        name === "dc1"
          ? new KubernetesSite({
              ...config.sites[0]!,
              kubeconfig: { path: hungFile, context: "dc1", inCluster: false },
              requestTimeout: 30_000,
            })
          : new KubernetesSite(config.sites[1]!),
    };
    const rt = await createProvenRuntime({
      configPath: configFile,
      runbooksDir: "runbooks",
      store: new MemoryRunStore({ now: () => Date.now() }),
      sites,
    });
    try {
      const started = performance.now();
      const report = await rt.service.status();
      const elapsed = performance.now() - started;
      // DC1's own request timeout is 30 s: this answer comes from the status deadline (2 s).
      expect(report.sites.find((s) => s.site === "dc1")).toMatchObject({
        reachable: false,
        error: { code: "timeout", message: "no answer within 2s" },
      });
      expect(report.sites.find((s) => s.site === "dc2")).toMatchObject({ reachable: true, ready: true });
      // A bound on the deadline, not a benchmark: far below DC1's 30 s.
      expectWithinDeadline(elapsed, 2_000, "status with DC1 hung (2 s status deadline)");
    } finally {
      await rt.close();
    }
  });

  it("answers status when DC1's API server is stopped", async () => {
    await clusters.stopApiServer("dc1");
    const rt = await createProvenRuntime({
      configPath: configFile,
      runbooksDir: "runbooks",
      store: new MemoryRunStore({ now: () => Date.now() }),
    });
    try {
      const started = performance.now();
      const report = await rt.service.status();
      const elapsed = performance.now() - started;
      expect(report.sites.find((s) => s.site === "dc1")).toMatchObject({
        reachable: false,
        error: { code: "unavailable" },
      });
      expect(report.sites.find((s) => s.site === "dc2")).toMatchObject({ reachable: true, ready: true });
      // A refused connection is known at once; the bound is the status deadline's, not a benchmark.
      expectWithinDeadline(elapsed, 2_000, "status with DC1's API server stopped (2 s status deadline)");
    } finally {
      await rt.close();
    }
  });
});
