import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { LonghornSite } from "../../../src/adapters/longhorn/longhorn-site.js";
import { type LonghornSource, readLonghornRpo } from "../../../src/adapters/longhorn/read-longhorn-rpo.js";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import type { SiteConfig } from "../../../src/domain/config.js";
import type { RunMode } from "../../../src/domain/run.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { longhornActivateStep } from "../../../src/engine/step-kinds/longhorn-activate.js";
import { isLonghornNotInstalled, type LonghornServices } from "../../../src/ports/longhorn.js";
import { startTestClusters, stopTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { FakeLonghorn } from "../../support/longhorn-controller.js";
import { installLonghornCrds } from "../../support/longhorn-crds.js";
import { createProvenRuntime } from "../../support/proven-runtime.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * Longhorn through its real CRDs (from longhorn-manager's Go module) on two real API servers: DC2
 * has Longhorn, DC1 does not. FakeLonghorn plays longhorn-manager: it writes the objects' status
 * and finishes activations as Longhorn's volume controller does.
 */
let clusters: TestClusters;
let longhorn: FakeLonghorn;
let services: LonghornServices;
/** Whole seconds, as Longhorn's RFC 3339 timestamps are. */
const now = Math.floor(Date.now() / 1000) * 1000;
const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
const MIN = 60_000;

function siteConfig(name: string, over: Partial<SiteConfig> = {}): SiteConfig {
  return { ...clusters.config().sites.find((s) => s.name === name)!, ...over };
}

function source(volumes: string[], site = "dc2"): LonghornSource {
  return { name: "longhorn-critical", kind: "longhorn", site, namespace: "longhorn-system", volumes };
}

/** The shared step context, with Longhorn, the step's mode and a deadline of its own. */
function activationContext(
  options: { mode?: RunMode; timeoutMs?: number; lh?: LonghornServices } = {},
): StepContext {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const mode = options.mode ?? "real";
  const ctx = stepContext(clusters.config(), { services: { longhorn: options.lh ?? services } });
  return {
    ...ctx,
    mode,
    run: { ...ctx.run, mode },
    signal: AbortSignal.timeout(timeoutMs + 5_000),
    deadline: Date.now() + timeoutMs,
  };
}

const activate = (
  volumes: string[],
  options: Parameters<typeof activationContext>[0] & { site?: string } = {},
) => {
  const params = longhornActivateStep.params.parse({ site: options.site ?? "dc2", volumes });
  return { params, ctx: activationContext(options) };
};

async function volume(name: string) {
  const v = await longhorn.get("volumes", name);
  return {
    specStandby: v.spec.Standby as boolean,
    isStandby: v.status.isStandby as boolean,
    robustness: v.status.robustness as string,
  };
}

beforeAll(async () => {
  clusters = await startTestClusters();
  // longhorn-system is Longhorn's, shared by the files that take turns on these clusters: emptied
  // first. dc1 never has Longhorn's CRDs (the "not installed" tests below).
  for (const context of ["dc1", "dc2"]) await clusters.ensureNamespace(context, "longhorn-system");
  await clusters.removeApiGroup("dc1", "longhorn.io");
  await installLonghornCrds(clusters, "dc2");
  longhorn = new FakeLonghorn(clusters.kubeconfigPath, "dc2");
  await longhorn.reset();
  services = { site: (name) => new LonghornSite(siteConfig(name)) };

  await longhorn.backupTarget("default", true);
  await longhorn.recurringJob("backup-hourly", "0 * * * *", ["default"]);
  await longhorn.recurringJob("snapshot-5m", "*/5 * * * *", ["default"], "snapshot");

  // portal-data: a good backup 20 minutes ago and a newer one that failed 5 minutes ago.
  await longhorn.backup("portal-data", "backup-portal-1", "Completed", ago(180));
  await longhorn.backup("portal-data", "backup-portal-2", "Completed", ago(20));
  await longhorn.backup("portal-data", "backup-portal-3", "Error", ago(5));
  await longhorn.backupVolume("portal-data", "backup-portal-2", ago(20));
  await longhorn.drVolume({ name: "portal-data", lastBackup: "backup-portal-2", lastBackupAt: ago(20) });

  // orders-data: its newest backup is 50 minutes old; the DR volume has a different name.
  await longhorn.backup("orders-data", "backup-orders-1", "Completed", ago(50));
  await longhorn.backupVolume("orders-data", "backup-orders-1", ago(50));
  await longhorn.drVolume({
    name: "orders-data-dr",
    backupVolume: "orders-data",
    lastBackup: "backup-orders-1",
    lastBackupAt: ago(50),
  });

  await longhorn.drVolume({ name: "empty-data" });

  for (const name of ["sick-data", "spare-data", "stuck-data", "broken-data", "drill-data", "racy-data"]) {
    await longhorn.backup(name, `backup-${name}`, "Completed", ago(10));
    await longhorn.backupVolume(name, `backup-${name}`, ago(10));
  }
  await longhorn.drVolume({
    name: "sick-data",
    robustness: "degraded",
    lastBackup: "backup-sick-data",
    lastBackupAt: ago(10),
  });
  await longhorn.drVolume({ name: "spare-data", lastBackup: "backup-spare-data", lastBackupAt: ago(10) });
  await longhorn.drVolume({ name: "stuck-data", lastBackup: "backup-stuck-data", lastBackupAt: ago(10) });
  await longhorn.drVolume({
    name: "broken-data",
    lastBackup: "backup-broken-data",
    lastBackupAt: ago(10),
    restoreFailure: "failed to restore backup-broken-data: checksum mismatch",
  });
  await longhorn.drVolume({ name: "drill-data", lastBackup: "backup-drill-data", lastBackupAt: ago(10) });
  await longhorn.drVolume({ name: "racy-data", lastBackup: "backup-racy-data", lastBackupAt: ago(10) });
  // A fresh backup, so the failover below stays within tier1's RPO however slow the machine is.
  await longhorn.backup("e2e-data", "backup-e2e-data", "Completed", ago(1));
  await longhorn.backupVolume("e2e-data", "backup-e2e-data", ago(1));
  await longhorn.drVolume({ name: "e2e-data", lastBackup: "backup-e2e-data", lastBackupAt: ago(1) });
  longhorn.behave("stuck-data", "stuck");
  longhorn.start();
}, 300_000);

afterAll(async () => {
  longhorn?.stop();
  await stopTestClusters(clusters);
});

describe("Longhorn backup ages", () => {
  it("reads each volume's newest completed backup, never a failed one, and the recurring backup jobs", async () => {
    const [portal, orders] = await services
      .site("dc2")
      .backupStatus("longhorn-system", ["portal-data", "orders-data-dr"]);
    expect(portal).toMatchObject({
      volume: "portal-data",
      backupVolume: "portal-data",
      volumeFound: true,
      newest: { name: "backup-portal-2", at: now - 20 * MIN },
      completed: 2,
      failed: 1,
      target: { name: "default", available: true },
    });
    expect(portal?.recurringJobs).toEqual([{ name: "backup-hourly", task: "backup", cron: "0 * * * *" }]);
    expect(orders).toMatchObject({
      backupVolume: "orders-data",
      newest: { name: "backup-orders-1", at: now - 50 * MIN },
    });
  });

  it("gives the source the age of its oldest newest backup as its RPO exposure", async () => {
    const reading = await readLonghornRpo(source(["portal-data", "orders-data-dr"]), services, now);
    expect(reading).toMatchObject({
      source: "longhorn-critical",
      kind: "longhorn",
      exposureMs: 50 * MIN,
      at: now,
    });
    expect(reading.detail).toContain("orders-data-dr (backup-orders-1, 50m ago)");
    expect(reading.detail).toContain("portal-data: 1 failed backup(s)");
  });

  it("makes the reading unknown, naming the volume, when a volume has no backup at all", async () => {
    const reading = await readLonghornRpo(source(["portal-data", "empty-data"]), services, now);
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toContain("no backup of empty-data on dc2");
  });

  it("says Longhorn is not installed on a site without its CRDs instead of failing", async () => {
    const reading = await readLonghornRpo(source(["portal-data"], "dc1"), services, now);
    expect(reading).toMatchObject({ exposureMs: undefined, detail: "Longhorn is not installed on dc1" });
    const error = await services
      .site("dc1")
      .readVolume("longhorn-system", "portal-data")
      .catch((e: unknown) => e);
    expect(isLonghornNotInstalled(error)).toBe(true);
  });

  it("makes the reading unknown, saying why, when drbot may not read Longhorn's objects", async () => {
    const site = siteConfig("dc2", {
      kubeconfig: { path: clusters.kubeconfigPath, context: clusters.botContexts.dc2, inCluster: false },
    });
    const reading = await readLonghornRpo(
      source(["portal-data"]),
      { site: () => new LonghornSite(site) },
      now,
    );
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toMatch(
      /^could not read Longhorn on dc2: site dc2: could not read Longhorn volume longhorn-system\/portal-data: 403 /,
    );
  });

  it("gives up at the reading's own budget, shorter than the site's request timeout", async () => {
    const hung = await clusters.hangEndpoint();
    const site = siteConfig("dc2", {
      kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
      requestTimeout: 30_000,
    });
    const reading = await readLonghornRpo(
      source(["portal-data"]),
      { site: () => new LonghornSite(site) },
      now,
      {
        timeoutMs: 200,
      },
    );
    expect(reading).toMatchObject({
      exposureMs: undefined,
      detail: "no answer from Longhorn on dc2 within 200 ms",
    });
  });

  it("tells a missing volume apart from a missing Longhorn", async () => {
    await expect(
      services.site("dc2").readVolume("longhorn-system", "no-such-volume"),
    ).resolves.toBeUndefined();
  });

  it("makes the reading unknown within the request deadline when the API server hangs", async () => {
    const hung = await clusters.hangEndpoint();
    const site = siteConfig("dc2", {
      kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
      requestTimeout: 300,
    });
    const reading = await readLonghornRpo(
      source(["portal-data"]),
      { site: () => new LonghornSite(site) },
      now,
    );
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toContain("no answer within 300 ms");
  });
});

describe("the Longhorn adapter", () => {
  it("refuses to activate a volume that changed since it was read, instead of overwriting it", async () => {
    const site = services.site("dc2");
    const stale = (await site.readVolume("longhorn-system", "spare-data"))!;
    await clusters.kubectl(
      "dc2",
      "label",
      "volumes.longhorn.io/spare-data",
      "-n",
      "longhorn-system",
      "touched=yes",
    );

    const error = await site.activate(stale).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "conflict" });
    expect(await volume("spare-data")).toMatchObject({ specStandby: true, isStandby: true });
  });

  it("feeds the tier's RPO in a runtime configured with a Longhorn source", async () => {
    // Written as a person would: durations as text (numbers in the file would mean seconds).
    const config = clusters.config();
    const configPath = join(clusters.dir, "drbot-longhorn.yaml");
    await writeFile(
      configPath,
      stringify({
        sites: config.sites.map((site) => ({ ...site, requestTimeout: "5s" })),
        tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
        applications: config.applications.map((a) => ({ ...a, dataSources: ["longhorn-critical"] })),
        dataSources: [source(["portal-data", "orders-data-dr"])],
        slack: config.slack,
      }),
    );
    const runtime = await createProvenRuntime({
      configPath,
      runbooksDir: "runbooks",
      store: new MemoryRunStore({ now: () => Date.now() }),
      autoStart: false,
    });
    try {
      const [tier1] = await runtime.service.rpo();
      expect(tier1).toMatchObject({
        tier: "tier1",
        worstSource: "longhorn-critical",
        withinTarget: false,
        unknown: [],
      });
      expect(tier1?.effectiveMs).toBeGreaterThanOrEqual(50 * MIN);
      expect(tier1?.readings[0]?.detail).toContain("orders-data-dr (backup-orders-1");
    } finally {
      await runtime.close();
    }
  });
});

describe("longhorn.activate", () => {
  it("activates standby volumes after the preflight and verifies Longhorn finished", async () => {
    const { params, ctx } = activate(["portal-data", "orders-data-dr"]);
    expect(await longhornActivateStep.observe!(ctx, params)).toMatchObject({ holds: false });

    const result = await longhornActivateStep.execute(ctx, params);

    expect(result).toEqual({
      status: "succeeded",
      output: "2 Longhorn volume(s) active and healthy on dc2 (2 activated now)",
    });
    expect(await volume("portal-data")).toEqual({
      specStandby: false,
      isStandby: false,
      robustness: "healthy",
    });
    expect(await volume("orders-data-dr")).toEqual({
      specStandby: false,
      isStandby: false,
      robustness: "healthy",
    });
    // Like Longhorn's own activate action, the backup volumes were asked to sync first.
    expect(longhorn.syncRequests).toEqual(expect.arrayContaining(["bv-portal-data", "bv-orders-data"]));
    const portal = await longhorn.get("volumes", "portal-data");
    expect(portal.spec.frontend).toBe("blockdev");
  });

  it("observes that the activation holds, and a second run changes nothing", async () => {
    const { params, ctx } = activate(["portal-data", "orders-data-dr"]);
    expect(await longhornActivateStep.observe!(ctx, params)).toEqual({
      holds: true,
      evidence: "2 volume(s) already active and healthy on dc2",
    });
    const activations = longhorn.activated.length;
    const syncs = longhorn.syncRequests.length;

    const again = await longhornActivateStep.execute(ctx, params);

    expect(again).toEqual({
      status: "succeeded",
      output: "2 Longhorn volume(s) active and healthy on dc2 (0 activated now)",
    });
    expect(longhorn.activated.length).toBe(activations);
    expect(longhorn.syncRequests.length).toBe(syncs);
  });

  it("refuses a volume without a backup, with the evidence, and leaves it standby", async () => {
    const { params, ctx } = activate(["empty-data"]);
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result.status).toBe("failed");
    expect(result).toMatchObject({
      error:
        "preflight failed on dc2, no volume activated: empty-data has no backup to restore from (backup volume empty-data: 0 completed, 0 failed)",
    });
    expect(await volume("empty-data")).toMatchObject({ specStandby: true, isStandby: true });
  });

  it("refuses an unhealthy standby volume and activates none of the others", async () => {
    const { params, ctx } = activate(["spare-data", "sick-data"]);
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toMatchObject({
      status: "failed",
      error:
        "preflight failed on dc2, no volume activated: sick-data is not healthy (state attached, robustness degraded)",
    });
    expect(await volume("spare-data")).toMatchObject({ specStandby: true, isStandby: true });
    expect(await volume("sick-data")).toMatchObject({ specStandby: true, isStandby: true });
  });

  it("refuses a volume whose restore failed", async () => {
    const { params, ctx } = activate(["broken-data"]);
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toMatchObject({ status: "failed" });
    expect(result.status === "failed" && result.error).toContain(
      "broken-data restore failed: failed to restore backup-broken-data: checksum mismatch",
    );
  });

  it("fails at the step deadline, with the volume's state, when Longhorn never finishes the activation", async () => {
    const { params, ctx } = activate(["stuck-data"], { timeoutMs: 1_500 });
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toMatchObject({ status: "failed" });
    expect(result.status === "failed" && result.error).toContain(
      "not active and healthy at the deadline on dc2: longhorn-system/stuck-data: spec.Standby=false isStandby=true",
    );
    expect(await longhornActivateStep.observe!(ctx, params)).toMatchObject({ holds: false });
  });

  it("finishes the verification when re-run on a volume that is still activating", async () => {
    longhorn.behave("stuck-data", "finish");
    const { params, ctx } = activate(["stuck-data"]);
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toEqual({
      status: "succeeded",
      output: "1 Longhorn volume(s) active and healthy on dc2 (0 activated now)",
    });
  });

  it("activates the new version of a volume that changed between the preflight and the activation", async () => {
    // Longhorn writes a volume's status often; here it happens right before drbot's first patch.
    let touched = false;
    const racing: LonghornServices = {
      site(name) {
        const real = services.site(name);
        return {
          site: real.site,
          readVolume: (...args) => real.readVolume(...args),
          backupStatus: (...args) => real.backupStatus(...args),
          backUp: (...args) => real.backUp(...args),
          readBackup: (...args) => real.readBackup(...args),
          deleteVolume: (...args) => real.deleteVolume(...args),
          createStandby: (...args) => real.createStandby(...args),
          async activate(volume, options) {
            if (!touched) {
              touched = true;
              await clusters.kubectl(
                "dc2",
                "label",
                "volumes.longhorn.io/racy-data",
                "-n",
                "longhorn-system",
                "raced=yes",
              );
            }
            return real.activate(volume, options);
          },
        };
      },
    };
    const { params, ctx } = activate(["racy-data"], { lh: racing, site: "dc2" });
    const lines: string[] = [];
    ctx.log = (line) => lines.push(line);

    const result = await longhornActivateStep.execute(ctx, params);

    expect(result).toEqual({
      status: "succeeded",
      output: "1 Longhorn volume(s) active and healthy on dc2 (1 activated now)",
    });
    expect(lines).toContain("racy-data: changed since it was read, activating the new version");
  });

  it("only runs the preflight in a drill: activation cannot be undone", async () => {
    const { params, ctx } = activate(["drill-data"], { mode: "drill" });
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toEqual({
      status: "succeeded",
      output: "drill: preflight passed for 1 volume(s) on dc2; 1 left standby (activation cannot be undone)",
    });
    expect(await volume("drill-data")).toMatchObject({ specStandby: true, isStandby: true });
  });

  it("activates the volumes of the Longhorn data sources it is given, ignoring other kinds of source", async () => {
    const config = clusters.config({
      dataSources: [
        { name: "longhorn-spare", kind: "longhorn", site: "dc2", volumes: ["spare-data"] },
        { name: "velero-daily", kind: "velero", site: "dc1", schedule: "daily" },
      ],
    });
    const params = longhornActivateStep.params.parse({
      site: "dc2",
      sources: ["velero-daily", "longhorn-spare"],
    });
    const ctx = { ...activationContext(), config };

    const result = await longhornActivateStep.execute(ctx, params);

    expect(result).toEqual({
      status: "succeeded",
      output: "1 Longhorn volume(s) active and healthy on dc2 (1 activated now)",
    });
    expect(await volume("spare-data")).toEqual({
      specStandby: false,
      isStandby: false,
      robustness: "healthy",
    });
  });

  it("has nothing to do for an application without a Longhorn source", async () => {
    const params = longhornActivateStep.params.parse({ site: "dc2", sources: [] });
    const ctx = activationContext();
    expect(await longhornActivateStep.execute(ctx, params)).toEqual({
      status: "succeeded",
      output: "no Longhorn data source among the step's sources: nothing to activate",
    });
    expect(await longhornActivateStep.observe!(ctx, params)).toMatchObject({ holds: true });
  });

  it("fails clearly on a site where Longhorn is not installed", async () => {
    const { params, ctx } = activate(["portal-data"], { site: "dc1" });
    const result = await longhornActivateStep.execute(ctx, params);
    expect(result).toEqual({
      status: "failed",
      error: "Longhorn is not installed on dc1; nothing activated",
    });
    expect(await longhornActivateStep.observe!(ctx, params)).toMatchObject({ holds: "unknown" });
  });
});

describe("a failover with Longhorn", () => {
  it("activates the Longhorn volumes of the run's applications once two people approve, with the step in the audit trail", async () => {
    const dir = join(clusters.dir, "failover-longhorn");
    await mkdir(join(dir, "runbooks"), { recursive: true });
    const config = clusters.config();
    await writeFile(
      join(dir, "drbot.yaml"),
      stringify({
        sites: config.sites.map((site) => ({ ...site, requestTimeout: "5s" })),
        tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
        applications: config.applications.map((a) => ({ ...a, dataSources: ["longhorn-e2e"] })),
        dataSources: [{ ...source(["e2e-data"]), name: "longhorn-e2e" }],
        slack: config.slack,
      }),
    );
    await writeFile(
      join(dir, "runbooks", "failover.yaml"),
      stringify({
        name: "failover",
        title: "Fail over with Longhorn",
        kind: "failover",
        phases: [
          {
            name: "data",
            steps: [
              {
                id: "volumes",
                title: "Activate Longhorn volumes",
                kind: "longhorn.activate",
                // As in the shipped failover runbook: every Longhorn source of the run's applications.
                with: { site: "{{sites.to}}", sources: "*" },
                timeout: "1m",
              },
            ],
          },
        ],
      }),
    );
    const runtime = await createProvenRuntime({
      configPath: join(dir, "drbot.yaml"),
      runbooksDir: join(dir, "runbooks"),
      store: new MemoryRunStore({ now: () => Date.now() }),
      env: parseEnvironment({}),
    });
    try {
      const { run, exposure } = await runtime.service.request({
        actor: "U0ONCALL",
        runbook: "failover",
        targets: ["payments"],
        reason: "DC1 unreachable",
        source: "cli",
      });
      // The newest backup of e2e-data is a minute old: within tier1's 15 minutes.
      expect(exposure).toMatchObject({ tier: "tier1", worstSource: "longhorn-e2e", withinTarget: true });
      for (const approver of ["U0A1", "U0A2"])
        await runtime.service.approve({ actor: approver, runId: run.id, planHash: run.plan.hash });
      await waitFor(async () => (await runtime.store.getRun(run.id))?.state === "completed", {
        timeoutMs: 30_000,
        description: "the failover to complete",
      });

      const steps = await runtime.store.getSteps(run.id);
      expect(steps.get("volumes")).toMatchObject({
        status: "succeeded",
        output: expect.stringContaining("1 Longhorn volume(s) active and healthy on dc2 (1 activated now)"),
      });
      expect(await volume("e2e-data")).toEqual({
        specStandby: false,
        isStandby: false,
        robustness: "healthy",
      });
      const events = await runtime.store.readEvents(run.id);
      const trail = events
        .filter((e) => e.type === "step.state" && e.stepId === "volumes")
        .map((e) => e.data.status);
      expect(trail).toEqual(expect.arrayContaining(["running", "succeeded"]));
    } finally {
      await runtime.close();
    }
  });
});
