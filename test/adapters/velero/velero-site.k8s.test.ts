import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { readVeleroRpo } from "../../../src/adapters/velero/read-velero-rpo.js";
import { VeleroSite } from "../../../src/adapters/velero/velero-site.js";
import { recentBackups, veleroOverview } from "../../../src/app/velero-overview.js";
import type { DataSourceConfig } from "../../../src/domain/config.js";
import { isVeleroNotInstalled, type VeleroServices } from "../../../src/ports/velero.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { startTestClusters, stopTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { installVeleroCrds } from "../../support/velero-crds.js";
import { VeleroTestController } from "../../support/velero-test-controller.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The Velero adapter against a real API server serving Velero's own CRDs (from its Go module) on
 * dc1; dc2 has no Velero at all. A test controller plays the Velero server.
 */
let clusters: TestClusters;
const controllers: VeleroTestController[] = [];
const HOUR = 3_600_000;
const now = Date.now();

beforeAll(async () => {
  clusters = await startTestClusters();
  await installVeleroCrds(clusters, clusters.contexts.dc1);
  // Other test files on these clusters install Velero on dc2; here it has none.
  await clusters.removeApiGroup(clusters.contexts.dc2, "velero.io");
});

afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await stopTestClusters(clusters);
});

/** A Velero namespace of its own per test (and per file: clusters.ns), with a controller driving it. */
async function veleroIn(name: string): Promise<{ site: VeleroSite; controller: VeleroTestController }> {
  const namespace = clusters.ns(name);
  await clusters.kubectl(clusters.contexts.dc1, "create", "namespace", namespace);
  const controller = new VeleroTestController(clusters.kubeconfigPath, clusters.contexts.dc1, namespace);
  controller.start();
  controllers.push(controller);
  return { site: siteOn("dc1", namespace), controller };
}

function siteOn(cluster: "dc1" | "dc2", namespace: string): VeleroSite {
  return new VeleroSite(clusters.config().sites.find((s) => s.name === cluster)!, { namespace });
}

function services(namespace: string): VeleroServices {
  return { velero: (site) => siteOn(site as "dc1" | "dc2", clusters.ns(namespace)) };
}

const source = (site: string, schedule: string): Extract<DataSourceConfig, { kind: "velero" }> => ({
  name: "velero-daily",
  kind: "velero",
  site,
  namespace: "velero",
  schedule,
});

describe("Velero on a site, through its CRDs", () => {
  it("lists schedules with the newest Completed backup of each, and the newest per namespace", async () => {
    const { site, controller } = await veleroIn("velero-newest");
    await controller.putSchedule("daily", ["production", "staging"]);
    await controller.putSchedule("hourly", ["production"], "0 * * * *");
    await controller.putStorageLocation("default");
    const completed = (name: string, schedule: string, namespaces: string[], ageMs: number, extra = {}) =>
      controller.putBackup({
        name,
        schedule,
        namespaces,
        phase: "Completed",
        startedAt: now - ageMs,
        completedAt: now - ageMs + 60_000,
        expiresAt: now + 30 * 24 * HOUR,
        ...extra,
      });
    await completed("daily-1", "daily", ["production", "staging"], 26 * HOUR);
    await completed("daily-2", "daily", ["production", "staging"], 2 * HOUR);
    await completed("daily-3", "daily", ["production", "staging"], HOUR / 2, {
      phase: "PartiallyFailed",
      errors: 2,
    });
    await completed("hourly-1", "hourly", ["production"], HOUR);
    await completed("hourly-2", "hourly", ["production"], HOUR / 4, { expiresAt: now - 60_000 });

    const overview = await veleroOverview(site, { now, namespaces: ["production", "staging", "billing"] });

    expect(overview.installed).toBe(true);
    if (overview.installed !== true) return;
    const newest = Object.fromEntries(overview.schedules.map((s) => [s.name, s.newestGood?.name]));
    expect(newest).toEqual({ daily: "daily-2", hourly: "hourly-1" });
    expect(overview.schedules.find((s) => s.name === "hourly")?.cron).toBe("0 * * * *");
    expect(overview.byNamespace.production?.name).toBe("hourly-1");
    expect(overview.byNamespace.staging?.name).toBe("daily-2");
    expect(overview.byNamespace.billing).toBeUndefined();
    expect(overview.locations).toMatchObject([{ name: "default", phase: "Available", isDefault: true }]);
  });

  it("lists recent backups newest first with their times, phases and whether each is a usable restore point", async () => {
    const { site, controller } = await veleroIn("velero-recent");
    await controller.putBackup({
      name: "nightly-old",
      schedule: "nightly",
      phase: "Completed",
      startedAt: now - 48 * HOUR,
      expiresAt: now + HOUR,
    });
    await controller.putBackup({
      name: "nightly-new",
      schedule: "nightly",
      phase: "Completed",
      startedAt: now - HOUR,
      expiresAt: now + HOUR,
    });
    await controller.putBackup({
      name: "nightly-bad",
      schedule: "nightly",
      phase: "Failed",
      startedAt: now - HOUR / 2,
    });
    await controller.putBackup({
      name: "manual",
      phase: "Completed",
      startedAt: now - HOUR / 4,
      expiresAt: now + HOUR,
    });

    const recent = await recentBackups(site, { now, schedule: "nightly", limit: 2 });

    expect(recent).toMatchObject({
      installed: true,
      backups: [
        { name: "nightly-bad", phase: "Failed", good: false, dataAt: now - HOUR / 2 },
        { name: "nightly-new", phase: "Completed", good: true, dataAt: now - HOUR, expiresAt: now + HOUR },
      ],
    });
  });

  it("takes a backup on demand, labelled, which the Velero controller completes with an expiration", async () => {
    const { site } = await veleroIn("velero-on-demand");
    const created = await site.createBackup({
      name: "before-failover",
      includedNamespaces: ["production"],
      ttlMs: 72 * HOUR,
      labels: { "drbot.io/run-id": "failover-1" },
    });
    expect(created).toMatchObject({ name: "before-failover", includedNamespaces: ["production"] });

    await waitFor(async () => (await site.getBackup("before-failover"))?.phase === "Completed", {
      timeoutMs: 20_000,
      description: "the backup to be Completed",
    });
    const done = (await site.getBackup("before-failover"))!;
    expect(done.labels["drbot.io/run-id"]).toBe("failover-1");
    expect(done.expiresAt! - done.startedAt!).toBeGreaterThan(71 * HOUR);

    const again = await site.createBackup({
      name: "before-failover",
      includedNamespaces: ["production"],
      ttlMs: HOUR,
      labels: {},
    });
    expect(again.phase).toBe("Completed");
    expect(await site.listBackups()).toHaveLength(1);
  });

  it("answers a backup that does not exist with nothing rather than an error", async () => {
    const { site } = await veleroIn("velero-missing");
    expect(await site.getBackup("no-such-backup")).toBeUndefined();
    expect(await site.getRestore("no-such-restore")).toBeUndefined();
  });

  it("gives up on a hung API server at the site's deadline, and the RPO reading says why", async () => {
    const hung = await clusters.hangEndpoint();
    const base = clusters.config().sites.find((s) => s.name === "dc1")!;
    const site = new VeleroSite(
      { ...base, kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false } },
      { timeoutMs: 300 },
    );

    const listing = await site.listBackups().catch((e: unknown) => e);
    const reading = await readVeleroRpo(source("dc1", "daily"), { velero: () => site }, now);

    expect(listing).toMatchObject({ code: "timeout", reason: "timeout" });
    expect(reading).toMatchObject({
      exposureMs: undefined,
      detail:
        "could not read Velero backups: site dc1: could not list Velero backups in velero: no answer within 300 ms",
    });
    expect(hung.connections()).toBeGreaterThan(0);
  });

  it("reports a site without Velero as not installed, not as a crash", async () => {
    const dc2 = siteOn("dc2", "velero");

    const listing = await dc2.listBackups().catch((e: unknown) => e);
    const reading = await dc2.getBackup("daily-1").catch((e: unknown) => e);

    expect(isVeleroNotInstalled(listing)).toBe(true);
    expect(isVeleroNotInstalled(reading)).toBe(true);
    expect(String(listing)).toMatch(/site dc2: .*Velero is not installed/);
    expect(await veleroOverview(dc2, { now })).toEqual({
      site: "dc2",
      installed: false,
      detail: "Velero is not installed on dc2",
    });
    expect((await recentBackups(dc2, { now })).installed).toBe(false);
  });
});

describe("RPO from Velero", () => {
  it("is the age of the newest Completed, unexpired backup of the source's schedule, counted from its start", async () => {
    const { controller } = await veleroIn("velero");
    await controller.putBackup({
      name: "daily-a",
      schedule: "daily",
      phase: "Completed",
      startedAt: now - 5 * HOUR,
      expiresAt: now + HOUR,
    });
    await controller.putBackup({
      name: "daily-b",
      schedule: "daily",
      phase: "Completed",
      startedAt: now - 3 * HOUR,
      expiresAt: now + HOUR,
    });
    await controller.putBackup({
      name: "daily-c",
      schedule: "daily",
      phase: "PartiallyFailed",
      startedAt: now - HOUR,
    });
    await controller.putBackup({
      name: "other",
      schedule: "weekly",
      phase: "Completed",
      startedAt: now - 60_000,
    });

    const reading = await readVeleroRpo(source("dc1", "daily"), services("velero"), now);

    expect(reading).toEqual({
      source: "velero-daily",
      kind: "velero",
      exposureMs: 3 * HOUR,
      at: now,
      detail: "newest Completed backup of daily on dc1: daily-b",
      recoveryPointAt: now - 3 * HOUR,
    });
  });

  it("reads the cadence of the source from Velero's Schedule where the site has it", async () => {
    const { controller } = await veleroIn("velero-scheduled");
    await controller.putSchedule("hourly", ["production"], "0 * * * *");
    await controller.putBackup({
      name: "hourly-a",
      schedule: "hourly",
      phase: "Completed",
      startedAt: now - HOUR,
    });
    const reading = await readVeleroRpo(source("dc1", "hourly"), services("velero-scheduled"), now);
    expect(reading).toMatchObject({ exposureMs: HOUR, cadence: { kind: "cron", expression: "0 * * * *" } });
    // A site without the Schedule (a DR site that syncs the backups from the bucket) gives none.
    const first = await readVeleroRpo(source("dc1", "daily"), services("velero"), now);
    expect(first.cadence).toBeUndefined();
  });

  it("is unknown when the schedule has no backup at all", async () => {
    const reading = await readVeleroRpo(source("dc1", "never-ran"), services("velero"), now);
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toBe("no backup of schedule never-ran on dc1");
  });

  it("is unknown when the newest backup has expired", async () => {
    const { controller } = await veleroIn("velero-expired");
    await controller.putBackup({
      name: "old",
      schedule: "daily",
      phase: "Completed",
      startedAt: now - 40 * 24 * HOUR,
      expiresAt: now - 10 * 24 * HOUR,
    });

    const reading = await readVeleroRpo(source("dc1", "daily"), services("velero-expired"), now);

    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toBe("no good backup of schedule daily on dc1: the newest, old, is expired");
  });

  it("is unknown, saying so, on a site where Velero is not installed", async () => {
    const reading = await readVeleroRpo(source("dc2", "daily"), services("velero"), now);
    expect(reading).toMatchObject({ exposureMs: undefined, detail: "Velero is not installed on dc2" });
  });

  it("reaches each tier's RPO through the runtime's readRpo", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drbot-velero-rpo-"));
    const configFile = join(dir, "drbot.yaml");
    const config = clusters.config();
    await writeFile(
      configFile,
      stringify({
        sites: config.sites.map((s) => ({ ...s, requestTimeout: "5s" })),
        tiers: [
          { name: "tier1", rto: "2h", rpo: "15m" },
          { name: "tier2", rto: "4h", rpo: "4h" },
        ],
        applications: [
          {
            name: "payments",
            tier: "tier1",
            namespaces: ["production"],
            workloads: [{ namespace: "production", name: "payments-api", replicas: 3 }],
            dataSources: ["velero-daily"],
          },
          {
            name: "portal",
            tier: "tier2",
            namespaces: ["staging"],
            workloads: [{ namespace: "staging", name: "portal", replicas: 2 }],
            dataSources: ["velero-daily"],
          },
        ],
        // Velero backing up volumes too (file-system backup): it carries the applications' data.
        dataSources: [
          {
            name: "velero-daily",
            kind: "velero",
            site: "dc1",
            namespace: clusters.ns("velero"),
            schedule: "daily",
            protects: "data",
          },
        ],
        slack: config.slack,
      }),
    );
    const rt = await createRuntime({
      configPath: configFile,
      runbooksDir: "runbooks",
      store: new MemoryRunStore({ now: () => Date.now() }),
      autoStart: false,
    });
    try {
      const [tier1, tier2] = await rt.service.rpo();

      // daily-b, from the first RPO test: started 3 hours before `now`.
      expect(tier1).toMatchObject({
        tier: "tier1",
        worstSource: "velero-daily",
        withinTarget: false,
        unknown: [],
      });
      expect(tier1!.effectiveMs).toBeGreaterThanOrEqual(3 * HOUR);
      expect(tier1!.effectiveMs).toBeLessThan(3 * HOUR + 10 * 60_000);
      expect(tier2).toMatchObject({ tier: "tier2", withinTarget: true });
      expect(await rt.service.restorePoints({ applications: ["payments"], toSite: "dc1" })).toMatchObject([
        {
          source: "velero-daily",
          installed: true,
          backups: [
            { name: "daily-c", phase: "PartiallyFailed", good: false },
            { name: "daily-b", phase: "Completed", good: true, dataAt: now - 3 * HOUR },
            { name: "daily-a", phase: "Completed", good: true },
          ],
        },
      ]);
    } finally {
      await rt.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
