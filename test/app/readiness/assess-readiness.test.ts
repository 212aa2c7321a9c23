import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../../src/adapters/memory/memory-site-state.js";
import { assessReadiness } from "../../../src/app/readiness/assess-readiness.js";
import { LAST_DRILLS_KEY } from "../../../src/app/readiness/last-drills.js";
import type { NamespaceObjects } from "../../../src/domain/readiness/site-objects.js";
import type { NodeState } from "../../../src/domain/site-health.js";
import { silentLogger } from "../../../src/ports/logger.js";
import type { SiteInventory } from "../../../src/ports/site-inventory.js";
import { testConfig } from "../../support/config-fixture.js";
import { namespaceObjects, workloadSpec } from "../../support/namespace-objects.js";
import { runEvent, runRecord } from "../../support/run-fixtures.js";

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 4, 3, 0);
const clock = { now: () => now };
const config = testConfig({
  calendar: {
    schedules: [{ name: "quarterly-drill", cron: "0 9 1 1,4,7,10 *", remind: "drill", targets: ["tier1"] }],
  },
});
const runbooks = new Map([["drill", { kind: "drill" as const }]]);
const nodes: NodeState[] = [{ name: "n1", ready: true, labels: {}, cpuMillis: 4_000, memoryBytes: 2 ** 34 }];

/** A site whose namespaces hold `objects` (empty otherwise), counting the reads of each namespace. */
function inventory(
  site: string,
  objects: Record<string, NamespaceObjects>,
  reads: Map<string, number>,
): SiteInventory {
  return {
    name: site,
    async readNamespace(ns) {
      reads.set(`${site}/${ns}`, (reads.get(`${site}/${ns}`) ?? 0) + 1);
      return (
        objects[ns] ?? namespaceObjects({ namespace: ns, workloads: [], configMaps: {}, roleBindings: [] })
      );
    },
    listCrds: async () => [],
    listNodes: async () => nodes,
  };
}

/** A site that accepts every read and never answers, until the caller's signal gives up. */
const hung = (site: string): SiteInventory => {
  const never = (options?: { signal?: AbortSignal }) =>
    new Promise<never>((_, reject) =>
      options?.signal?.addEventListener("abort", () => reject(options.signal?.reason)),
    );
  return { name: site, readNamespace: (_ns, o) => never(o), listCrds: never, listNodes: never };
};

async function setup(
  dc2Production: NamespaceObjects = namespaceObjects({ workloads: [workloadSpec({ replicas: 0 })] }),
) {
  const reads = new Map<string, number>();
  const store = new MemoryRunStore(clock);
  const siteState = new MemorySiteState();
  const sites: Record<string, SiteInventory> = {
    dc1: inventory("dc1", { production: namespaceObjects() }, reads),
    dc2: inventory("dc2", { production: dc2Production }, reads),
  };
  const assess = assessReadiness({
    config,
    runbooks,
    siteState,
    inventories: { inventory: (site) => sites[site]! },
    runs: store,
    readRpo: async () => [
      { source: "pg", kind: "postgres" as const, exposureMs: 1_000, at: now, detail: "streaming" },
    ],
    clock,
    log: silentLogger,
  });
  return { reads, store, siteState, sites, assess };
}

const drillRun = (at: number, applications: string[]) =>
  runRecord({
    kind: "drill",
    mode: "drill",
    state: "completed",
    scope: { applications, tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
    createdAt: at,
    updatedAt: at,
    rto: { requestedAt: at, validationEndedAt: at },
  });

describe("a readiness round", () => {
  it("judges every check for every application, reading a namespace applications share once per site", async () => {
    const { reads, store, assess } = await setup();
    const drill = drillRun(now - 10 * DAY, ["payments", "core-api"]);
    await store.createRun(drill, [], runEvent(drill.id));
    const report = await assess({ signal: AbortSignal.timeout(10_000) });
    expect(report.applications.map((a) => [a.application, a.verdict])).toEqual([
      ["payments", "ready"],
      ["core-api", "ready"],
      // Nothing reads its Velero source here: unknown outranks its missing drill.
      ["analytics", "unknown"],
    ]);
    const payments = report.applications[0]!;
    expect(payments.findings.map((f) => f.check)).toEqual([
      "drift",
      "capacity",
      "data",
      "standby",
      "drill",
      "certificates",
    ]);
    expect(report.applications[2]!.findings.find((f) => f.check === "drill")?.summary).toBe(
      "no drill on record for analytics (tier3)",
    );
    // payments and core-api both live in production: one read of it per site.
    expect(reads.get("dc1/production")).toBe(1);
    expect(reads.get("dc2/production")).toBe(1);
    expect(report.tiers.map((t) => [t.tier, t.verdict])).toEqual([
      ["tier1", "ready"],
      ["tier3", "unknown"],
    ]);
    expect(report.readAt).toBe(now);
  });

  it("turns exactly the drifted application's readiness, and compares against the site serving it", async () => {
    const { siteState, assess } = await setup(
      namespaceObjects({
        workloads: [
          workloadSpec({
            replicas: 0,
            containers: [{ name: "api", image: "registry.example/payments:1.9" }],
          }),
        ],
      }),
    );
    const before = await assess({ signal: AbortSignal.timeout(10_000) });
    const drift = (r: typeof before, app: string) =>
      r.applications.find((a) => a.application === app)!.findings.find((f) => f.check === "drift")!;
    expect(drift(before, "payments").verdict).toBe("degraded");
    expect(drift(before, "payments").evidence[0]).toMatch(
      /payments:2\.0 on dc1, registry\.example\/payments:1\.9 on dc2$/,
    );
    expect(drift(before, "analytics").verdict).toBe("ready");
    await siteState.record(
      [
        {
          application: "payments",
          from: "dc1",
          to: "dc2",
          at: now,
          runId: "failover-1",
          by: "U0ONCALL",
          kind: "failover",
        },
      ],
      { payments: null },
    );
    const after = await assess({ signal: AbortSignal.timeout(10_000) });
    expect(drift(after, "payments").evidence[0]).toMatch(
      /payments:1\.9 on dc2, registry\.example\/payments:2\.0 on dc1$/,
    );
  });

  it("a site that never answers makes the checks needing it unknown, and the round ends at its signal", async () => {
    const { sites, assess } = await setup();
    sites.dc2 = hung("dc2");
    const report = await assess({ signal: AbortSignal.timeout(300) });
    const payments = report.applications[0]!;
    const verdicts = Object.fromEntries(payments.findings.map((f) => [f.check, f.verdict]));
    expect(verdicts).toMatchObject({ drift: "unknown", capacity: "unknown", standby: "unknown" });
    expect(payments.findings[0]!.evidence.join("\n")).toMatch(
      /no answer before the readiness round's deadline/,
    );
  });

  it("remembers the newest drill past the run's retention", async () => {
    const { store, assess } = await setup();
    const run = drillRun(now - 80 * DAY, ["payments"]);
    await store.createRun(run, [], runEvent(run.id));
    await assess({ signal: AbortSignal.timeout(10_000) });
    expect(JSON.parse((await store.kvGet(LAST_DRILLS_KEY))!)).toEqual({
      payments: { runId: run.id, at: now - 80 * DAY },
    });
  });
});
