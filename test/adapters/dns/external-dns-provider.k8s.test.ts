import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ExternalDnsProvider } from "../../../src/adapters/dns/external-dns-provider.js";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { type DnsRecordConfig, dnsProviderSchema, type SiteConfig } from "../../../src/domain/config.js";
import type { RunState } from "../../../src/domain/run.js";
import type { Runtime } from "../../../src/runtime/create-runtime.js";
import { installDnsEndpointCrd } from "../../support/external-dns-crds.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { createProvenRuntime } from "../../support/proven-runtime.js";
import { seedPaymentsDeployments } from "../../support/seed-payments-deployments.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The external-dns provider against a real API server with external-dns's own DNSEndpoint CRD
 * (from its upstream Go module), and the shipped failover and failback moving the seed's DNS
 * weights on those objects end to end.
 */
let clusters: TestClusters;
let work: string;

const records: DnsRecordConfig[] = [
  {
    name: "app.example.com",
    applications: ["payments"],
    weights: { dc1: 100, dc2: 0 },
    type: "CNAME",
    ttl: 60,
    targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
  },
];

beforeAll(async () => {
  clusters = await startTestClusters();
  await installDnsEndpointCrd(clusters, "dc2");
  work = await mkdtemp(join(tmpdir(), "drbot-external-dns-"));
}, 600_000);
afterAll(async () => {
  await clusters?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let namespaces = 0;
async function freshNamespace(): Promise<string> {
  const ns = clusters.ns(`dns-${++namespaces}`);
  await clusters.kubectl("dc2", "create", "namespace", ns);
  return ns;
}

/** A generous deadline: the shared test machine can be slow, and a first write to a new CRD is too. */
function site(name: "dc1" | "dc2", overrides: Partial<SiteConfig> = {}): SiteConfig {
  return { ...clusters.config().sites.find((s) => s.name === name)!, requestTimeout: 15_000, ...overrides };
}

function provider(namespace: string, options: { site?: SiteConfig; records?: DnsRecordConfig[] } = {}) {
  const config = dnsProviderSchema.parse({ kind: "external-dns", site: "dc2", namespace });
  if (config.kind !== "external-dns") throw new Error("expected the external-dns provider");
  return new ExternalDnsProvider(config, options.site ?? site("dc2"), options.records ?? records);
}

async function endpoints(namespace: string, name: string): Promise<unknown[]> {
  const json = await clusters.kubectl("dc2", "get", "dnsendpoint", name, "-n", namespace, "-o", "json");
  return (JSON.parse(json) as { spec: { endpoints: unknown[] } }).spec.endpoints;
}

describe("the external-dns provider on a real API server", () => {
  it("creates one endpoint per record and site, set identifier = site, weight in aws/weight", async () => {
    const ns = await freshNamespace();
    const dns = provider(ns);
    expect(await dns.readWeights(["app.example.com"])).toEqual({});
    await dns.applyWeights({ "app.example.com": { dc1: 100, dc2: 0 } });
    expect(await endpoints(ns, "drbot-app-example-com")).toEqual([
      {
        dnsName: "app.example.com",
        recordType: "CNAME",
        recordTTL: 60,
        setIdentifier: "dc1",
        targets: ["dc1-lb.example.com"],
        providerSpecific: [{ name: "aws/weight", value: "100" }],
      },
      {
        dnsName: "app.example.com",
        recordType: "CNAME",
        recordTTL: 60,
        setIdentifier: "dc2",
        targets: ["dc2-lb.example.com"],
        providerSpecific: [{ name: "aws/weight", value: "0" }],
      },
    ]);
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 100, dc2: 0 } });
  });

  it("changes only the weight of endpoints someone else manages, keeping their other fields", async () => {
    const ns = await freshNamespace();
    const file = join(work, `${ns}.yaml`);
    await writeFile(
      file,
      stringify({
        apiVersion: "externaldns.k8s.io/v1alpha1",
        kind: "DNSEndpoint",
        metadata: { name: "app", namespace: ns },
        spec: {
          endpoints: ["dc1", "dc2"].map((s) => ({
            dnsName: "app.example.com",
            recordType: "A",
            setIdentifier: s,
            targets: [s === "dc1" ? "192.0.2.10" : "198.51.100.10"],
            providerSpecific: [
              { name: "aws/health-check-id", value: `hc-${s}` },
              { name: "aws/weight", value: s === "dc1" ? "100" : "0" },
            ],
          })),
        },
      }),
    );
    await clusters.kubectl("dc2", "apply", "-f", file);
    const dns = provider(ns, {
      records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
    });
    await dns.applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } });
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 0, dc2: 100 } });
    expect(await endpoints(ns, "app")).toEqual([
      {
        dnsName: "app.example.com",
        recordType: "A",
        setIdentifier: "dc1",
        targets: ["192.0.2.10"],
        providerSpecific: [
          { name: "aws/health-check-id", value: "hc-dc1" },
          { name: "aws/weight", value: "0" },
        ],
      },
      {
        dnsName: "app.example.com",
        recordType: "A",
        setIdentifier: "dc2",
        targets: ["198.51.100.10"],
        providerSpecific: [
          { name: "aws/health-check-id", value: "hc-dc2" },
          { name: "aws/weight", value: "100" },
        ],
      },
    ]);
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "dnsendpoint",
        "-n",
        ns,
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ),
    ).toBe("app");
  });

  it("refuses to invent an endpoint whose targets are not configured", async () => {
    const ns = await freshNamespace();
    const dns = provider(ns, {
      records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
    });
    await expect(dns.applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } })).rejects.toMatchObject({
      code: "invalid_config",
      message: expect.stringContaining("no endpoint for app.example.com with setIdentifier dc1"),
    });
    expect(await clusters.kubectl("dc2", "get", "dnsendpoint", "-n", ns, "-o", "name")).toBe("");
  });

  it("reports two endpoints that disagree for one record and site as a conflict", async () => {
    const ns = await freshNamespace();
    await provider(ns).applyWeights({ "app.example.com": { dc1: 100, dc2: 0 } });
    const file = join(work, `${ns}-dup.yaml`);
    await writeFile(
      file,
      stringify({
        apiVersion: "externaldns.k8s.io/v1alpha1",
        kind: "DNSEndpoint",
        metadata: { name: "stray", namespace: ns },
        spec: {
          endpoints: [
            {
              dnsName: "app.example.com.",
              setIdentifier: "dc2",
              targets: ["x.example.com"],
              providerSpecific: [{ name: "aws/weight", value: "50" }],
            },
          ],
        },
      }),
    );
    await clusters.kubectl("dc2", "apply", "-f", file);
    await expect(provider(ns).readWeights(["app.example.com"])).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("app.example.com for dc2 is in both"),
    });
  });

  it("says the site has no DNSEndpoints when the CRD is not installed there", async () => {
    await expect(
      provider("default", { site: site("dc1") }).readWeights(["app.example.com"]),
    ).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("site dc1: could not list DNSEndpoints in default: 404"),
    });
  });

  it("gives up at the site's deadline when the API server never answers", async () => {
    const hung = await clusters.hangEndpoint();
    const dns = provider("default", {
      site: site("dc2", {
        kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
        requestTimeout: 500,
      }),
    });
    await expect(dns.readWeights(["app.example.com"])).rejects.toMatchObject({
      code: "timeout",
      message: "site dc2: could not list DNSEndpoints in default: no answer within 500 ms",
    });
    expect(hung.connections()).toBeGreaterThan(0);
  });
});

describe("the shipped failover and failback with external-dns", () => {
  /** The shipped runbooks without their Velero steps, whose adapter is not part of this branch. */
  async function runbooksWithoutVelero(): Promise<string> {
    const dir = join(work, "runbooks");
    await mkdir(dir, { recursive: true });
    for (const name of ["failover", "failback"]) {
      const raw = parse(await readFile(join("runbooks", `${name}.yaml`), "utf8")) as {
        phases: Array<{ steps: Array<{ kind: string }> }>;
      };
      raw.phases = raw.phases
        .map((p) => ({ ...p, steps: p.steps.filter((s) => !s.kind.startsWith("velero.")) }))
        .filter((p) => p.steps.length > 0);
      await writeFile(join(dir, `${name}.yaml`), stringify(raw));
    }
    return dir;
  }

  /** Requests and approves a run, waits until it ends, and returns what dns.switch recorded. */
  async function runToEnd(rt: Runtime, runbook: string): Promise<string | undefined> {
    const { run } = await rt.service.request({
      actor: "U0ONCALL",
      runbook,
      targets: ["payments"],
      reason: `${runbook} test`,
      source: "cli",
    });
    for (const approver of ["U0A1", "U0A2"])
      await rt.service.approve({ actor: approver, runId: run.id, planHash: run.plan.hash });
    const ended: RunState[] = ["completed", "completed_with_exceptions", "paused_failed_step", "failed"];
    let state: RunState | undefined;
    await waitFor(
      async () => {
        state = (await rt.store.getRun(run.id))?.state;
        return state !== undefined && ended.includes(state);
      },
      { timeoutMs: 120_000, description: `the ${runbook} to end` },
    );
    if (state !== "completed") {
      const steps = [...(await rt.store.getSteps(run.id)).values()].filter((s) => s.status !== "succeeded");
      throw new Error(`${runbook} ended ${state}: ${JSON.stringify(steps)}`);
    }
    return (await rt.store.getSteps(run.id)).get("switch-dns")?.output;
  }

  it("moves DC1 100 / DC2 0 to DC1 0 / DC2 100 and back, read back from the DNSEndpoints", async () => {
    await seedPaymentsDeployments(clusters, "dc1", 3, 2);
    await seedPaymentsDeployments(clusters, "dc2", 0, 0);
    const dnsNamespace = clusters.ns("dns");
    await clusters.kubectl("dc2", "create", "namespace", dnsNamespace);
    const permissions = { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } };
    const base = clusters.config();
    const configFile = join(work, "drbot.yaml");
    await writeFile(
      configFile,
      stringify({
        ...base,
        sites: base.sites.map((s) => ({ ...s, requestTimeout: "15s" })),
        slack: {
          incidentChannels: ["C0INCIDENT"],
          permissions: { failover: permissions, failback: permissions },
        },
        // The runbooks wait one record TTL after moving DNS before they scale the old site down.
        dns: {
          provider: { kind: "external-dns", site: "dc2", namespace: dnsNamespace },
          records: records.map((r) => ({ ...r, ttl: 2 })),
        },
      }),
    );
    const rt = await createProvenRuntime({
      configPath: configFile,
      runbooksDir: await runbooksWithoutVelero(),
      store: new MemoryRunStore({ now: () => Date.now() }),
    });
    const weights = async () =>
      (await endpoints(dnsNamespace, "drbot-app-example-com")).map((e) => {
        const endpoint = e as { setIdentifier: string; providerSpecific: Array<{ value: string }> };
        return `${endpoint.setIdentifier}=${endpoint.providerSpecific[0]!.value}`;
      });
    try {
      await provider(dnsNamespace).applyWeights({ "app.example.com": { dc1: 100, dc2: 0 } });
      expect(await runToEnd(rt, "failover")).toContain(
        `app.example.com: dc1 0, dc2 100 (was app.example.com: dc1 100, dc2 0); read back from external-dns DNSEndpoints on dc2 (namespace ${dnsNamespace})`,
      );
      expect(await weights()).toEqual(["dc1=0", "dc2=100"]);
      expect(await runToEnd(rt, "failback")).toContain(
        "app.example.com: dc1 100, dc2 0 (was app.example.com: dc1 0, dc2 100)",
      );
      expect(await weights()).toEqual(["dc1=100", "dc2=0"]);
    } finally {
      await rt.close();
    }
  });
});
