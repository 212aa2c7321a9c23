import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { VeleroSite } from "../../../src/adapters/velero/velero-site.js";
import { restorePointsForScope } from "../../../src/app/velero-overview.js";
import type { Config } from "../../../src/domain/config.js";
import type { PlanStep } from "../../../src/domain/run.js";
import type { StepContext, StepResult } from "../../../src/engine/step-kind.js";
import { veleroBackupStep } from "../../../src/engine/step-kinds/velero-backup.js";
import { veleroRestoreStep } from "../../../src/engine/step-kinds/velero-restore.js";
import { veleroStorageLocationStep } from "../../../src/engine/step-kinds/velero-storage-location.js";
import { systemClock } from "../../../src/ports/clock.js";
import type { CommandRunner } from "../../../src/ports/command-runner.js";
import { silentLogger } from "../../../src/ports/logger.js";
import type { VeleroServices } from "../../../src/ports/velero.js";
import { engineHarness } from "../../support/engine-harness.js";
import { startTestClusters, stopTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { installVeleroCrds } from "../../support/velero-crds.js";
import { RESTORE_PHASES, VeleroTestController } from "../../support/velero-test-controller.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * velero.backup and velero.restore against a real API server serving Velero's CRDs on dc2 (the DR
 * site, where failover restores); dc1 has no Velero. A test controller plays the Velero server.
 */
let clusters: TestClusters;
let config: Config;
let controller: VeleroTestController;
let dc2: VeleroSite;
const HOUR = 3_600_000;
const now = Date.now();

beforeAll(async () => {
  clusters = await startTestClusters();
  config = clusters.config();
  await installVeleroCrds(clusters, clusters.contexts.dc2);
  // Other test files on these clusters install Velero on dc1; here it has none.
  await clusters.removeApiGroup(clusters.contexts.dc1, "velero.io");
  // The velero namespace is Velero's, shared by the files that take turns on these clusters: emptied first.
  await clusters.ensureNamespace(clusters.contexts.dc2, "velero");
  controller = new VeleroTestController(clusters.kubeconfigPath, clusters.contexts.dc2, "velero");
  await controller.reset();
  controller.start();
  dc2 = site("dc2");
  // What dc2's Velero has synced from the shared storage location.
  const completed = (name: string, ageMs: number, annotations: Record<string, string> = {}) =>
    controller.putBackup({
      name,
      schedule: "nightly",
      namespaces: ["production", "staging"],
      phase: "Completed",
      startedAt: now - ageMs,
      completedAt: now - ageMs + 60_000,
      expiresAt: now + 30 * 24 * HOUR,
      annotations,
    });
  await completed("nightly-1", 48 * HOUR);
  await completed("nightly-2", 24 * HOUR);
  await completed("nightly-3", 2 * HOUR);
  await controller.putBackup({
    name: "nightly-4",
    schedule: "nightly",
    phase: "PartiallyFailed",
    startedAt: now - HOUR,
    errors: 4,
  });
  await completed("partial", 30 * HOUR, {
    [RESTORE_PHASES]:
      "InProgress,WaitingForPluginOperationsPartiallyFailed,FinalizingPartiallyFailed,PartiallyFailed",
    "test.drbot.io/restore-warnings": "3",
    "test.drbot.io/restore-errors": "2",
  });
  await completed("broken", 31 * HOUR, {
    [RESTORE_PHASES]: "InProgress,Failed",
    "test.drbot.io/restore-failure-reason":
      "found a restore with status InProgress during the server starting",
  });
  await completed("invalid", 32 * HOUR, {
    [RESTORE_PHASES]: "FailedValidation",
    "test.drbot.io/restore-failure-reason": "Invalid included/excluded namespace lists",
  });
  await controller.putBackup({
    name: "expired",
    schedule: "monthly",
    phase: "Completed",
    startedAt: now - 100 * 24 * HOUR,
    expiresAt: now - 10 * 24 * HOUR,
  });
});

afterAll(async () => {
  await controller?.stop();
  await stopTestClusters(clusters);
});

function site(name: "dc1" | "dc2"): VeleroSite {
  return new VeleroSite(config.sites.find((s) => s.name === name)!, { namespace: "velero" });
}

const velero: VeleroServices = { velero: (name) => (name === "dc2" ? dc2 : site("dc1")) };

let runs = 0;

/** A step context as the engine builds it, for one run and step; `log` lines are kept. */
function contextFor(
  stepId: string,
  options: { runId?: string; attempt?: number; signal?: AbortSignal; deadline?: number } = {},
): StepContext & { lines: string[] } {
  const lines: string[] = [];
  const step: PlanStep = {
    id: stepId,
    runbookStepId: stepId,
    phase: "activate",
    rtoPhase: "activation",
    title: stepId,
    kind: "velero.restore",
    params: {},
    timeoutMs: 60_000,
    retries: 0,
    retryDelayMs: 0,
    onFailure: "pause",
    needs: [],
    summary: stepId,
  };
  return {
    run: {
      id: options.runId ?? `failover-test-${++runs}`,
      kind: "failover",
      mode: "real",
      requestedBy: "U0ONCALL",
      reason: "test",
    },
    step,
    attempt: options.attempt ?? 1,
    mode: "real",
    scope: { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
    config,
    signal: options.signal ?? AbortSignal.timeout(60_000),
    deadline: options.deadline ?? Date.now() + 60_000,
    clock: systemClock,
    services: { commands: {} as CommandRunner, secrets: [], velero },
    logger: silentLogger,
    log: (line) => lines.push(line),
    attestations: [],
    lines,
  };
}

const restoreParams = (over: Record<string, unknown> = {}) =>
  veleroRestoreStep.params.parse({ site: "dc2", backup: "newest", namespaces: ["production"], ...over });

async function restoreOf(runId: string) {
  const [restore] = await dc2.listRestores({ labelSelector: `drbot.io/run-id=${runId}` });
  return restore!;
}

describe("velero.restore", () => {
  it("restores from the newest Completed backup of the schedule, watching every phase to Completed", async () => {
    const ctx = contextFor("restore-backup");

    const result = await veleroRestoreStep.execute(ctx, restoreParams({ schedule: "nightly" }));

    expect(result).toEqual({
      status: "succeeded",
      output: expect.stringMatching(
        /^restore drbot-.* \(from backup nightly-3\) Completed with 0 error\(s\), 0 warning\(s\) on dc2$/,
      ),
    });
    const restore = await restoreOf(ctx.run.id);
    expect(restore).toMatchObject({
      backupName: "nightly-3",
      includedNamespaces: ["production"],
      phase: "Completed",
    });
    expect(restore.labels).toMatchObject({
      "drbot.io/run-id": ctx.run.id,
      "drbot.io/step": "restore-backup",
    });
    expect(controller.restorePhases.get(restore.name)).toEqual([
      "InProgress",
      "WaitingForPluginOperations",
      "Finalizing",
      "Completed",
    ]);
    expect(
      ctx.lines.some((l) =>
        l.includes("restoring from nightly-3: newest good backup of schedule nightly, data from 20"),
      ),
    ).toBe(true);
    expect(ctx.lines.at(-1)).toMatch(/: Completed/);
  });

  it("restores into scratch namespaces beside production when given a prefix (the monthly restore test)", async () => {
    const ctx = contextFor("restore");

    const result = await veleroRestoreStep.execute(
      ctx,
      restoreParams({ namespaces: ["production", "staging"], namespacePrefix: "drbot-restore-" }),
    );

    expect(result.status).toBe("succeeded");
    expect((await restoreOf(ctx.run.id)).namespaceMapping).toEqual({
      production: "drbot-restore-production",
      staging: "drbot-restore-staging",
    });
  });

  it("restores from a chosen backup when one is pinned, even when newer ones exist", async () => {
    const pinned = veleroRestoreStep.applyPins!(restoreParams(), { backup: "nightly-1" });
    expect(veleroRestoreStep.summarize(pinned)).toBe(
      "Velero restore on dc2 from backup nightly-1 (production), existing objects kept",
    );
    const ctx = contextFor("restore-backup");

    const result = await veleroRestoreStep.execute(ctx, pinned);

    expect(result.status).toBe("succeeded");
    expect((await restoreOf(ctx.run.id)).backupName).toBe("nightly-1");
  });

  it("restores the backup an earlier step of the run took once Velero has synced it here, not an older one", async () => {
    const ctx = contextFor("restore-primary");
    const restoring = veleroRestoreStep.execute(ctx, restoreParams({ fromStep: "backup-dr" }));
    await waitFor(
      () =>
        ctx.lines.some((l) =>
          l.includes("waiting for Velero on dc2 to bring in the backup taken by step backup-dr"),
        ),
      {
        timeoutMs: 20_000,
        description: "the step to wait for the synced backup",
      },
    );
    // What Velero's storage-location sync brings in: the backup with the labels drbot gave it on DR.
    await controller.putBackup({
      name: `synced-${ctx.run.id}`,
      namespaces: ["production"],
      phase: "Completed",
      startedAt: Date.now() - 60_000,
      expiresAt: Date.now() + HOUR,
      labels: { "drbot.io/run-id": ctx.run.id, "drbot.io/step": "backup-dr", "drbot.io/attempt": "1" },
    });

    expect((await restoring).status).toBe("succeeded");
    expect((await restoreOf(ctx.run.id)).backupName).toBe(`synced-${ctx.run.id}`);
  });

  it("fails with the evidence when the run's backup does not reach the site before the step's deadline", async () => {
    const result = await veleroRestoreStep.execute(
      contextFor("restore-primary", { deadline: Date.now() + 2_500 }),
      restoreParams({ fromStep: "backup-dr" }),
    );
    expect(result).toEqual({
      status: "failed",
      error:
        "no restore on dc2: the backup taken by step backup-dr of this run did not reach dc2 Completed before the step's deadline (not synced from the storage location yet)",
    });
  });

  it("fails on PartiallyFailed with the warnings and errors counted: it is never a success", async () => {
    const ctx = contextFor("restore-backup");

    const result = await veleroRestoreStep.execute(ctx, restoreParams({ backup: "partial" }));

    expect(result.status).toBe("failed");
    expect((result as Extract<StepResult, { status: "failed" }>).error).toMatch(
      /ended PartiallyFailed with 2 error\(s\), 3 warning\(s\); PartiallyFailed is not a success/,
    );
    const restore = await restoreOf(ctx.run.id);
    expect(controller.restorePhases.get(restore.name)).toEqual([
      "InProgress",
      "WaitingForPluginOperationsPartiallyFailed",
      "FinalizingPartiallyFailed",
      "PartiallyFailed",
    ]);
    // Polling may step over the short intermediate phases; the last one it logs is the outcome.
    expect(ctx.lines.at(-1)).toMatch(
      /: PartiallyFailed \(2 error\(s\), 3 warning\(s\)\) — some items failed/,
    );
  });

  it("fails on Failed with Velero's failure reason as evidence", async () => {
    const result = await veleroRestoreStep.execute(
      contextFor("restore-backup"),
      restoreParams({ backup: "broken" }),
    );
    expect(result).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/ended Failed .*failure reason: found a restore with status InProgress/),
    });
  });

  it("fails on FailedValidation with the validation errors as evidence", async () => {
    const result = await veleroRestoreStep.execute(
      contextFor("restore-backup"),
      restoreParams({ backup: "invalid" }),
    );
    expect(result).toMatchObject({
      status: "failed",
      error: expect.stringMatching(
        /ended FailedValidation .*validation errors: Invalid included\/excluded namespace lists/,
      ),
    });
  });

  it("fails with the evidence, creating no Restore, when the schedule has no backup at all", async () => {
    const ctx = contextFor("restore-backup");
    const result = await veleroRestoreStep.execute(ctx, restoreParams({ schedule: "weekly" }));
    expect(result).toEqual({
      status: "failed",
      error: "no restore on dc2: there is no backup of schedule weekly at all",
    });
    expect(await dc2.listRestores({ labelSelector: `drbot.io/run-id=${ctx.run.id}` })).toEqual([]);
  });

  it("fails with the evidence when the newest backup has expired", async () => {
    const result = await veleroRestoreStep.execute(
      contextFor("restore-backup"),
      restoreParams({ schedule: "monthly" }),
    );
    expect(result).toMatchObject({
      status: "failed",
      error: expect.stringMatching(
        /no good backup of schedule monthly .*the newest, expired, expired at .*its data may already be deleted/,
      ),
    });
  });

  it("refuses a chosen backup that is not Completed, or does not exist", async () => {
    const partial = await veleroRestoreStep.execute(
      contextFor("restore-backup"),
      restoreParams({ backup: "nightly-4" }),
    );
    const missing = await veleroRestoreStep.execute(
      contextFor("restore-backup"),
      restoreParams({ backup: "nightly-9" }),
    );
    expect(partial).toEqual({
      status: "failed",
      error:
        "no restore on dc2: the chosen backup nightly-4 is PartiallyFailed with 4 error(s), not Completed",
    });
    expect(missing).toEqual({
      status: "failed",
      error: "no restore on dc2: the chosen backup nightly-9 does not exist",
    });
  });

  it("fails with Velero's message, creating no Restore, when the backup's storage location is Unavailable", async () => {
    await controller.putStorageLocation(
      "offsite",
      { phase: "Unavailable", message: "rpc error: bucket dr-offsite not reachable" },
      false,
    );
    await controller.putBackup({
      name: "offsite-1",
      schedule: "offsite",
      phase: "Completed",
      startedAt: now - HOUR,
      expiresAt: now + HOUR,
      storageLocation: "offsite",
    });
    const ctx = contextFor("restore-backup");

    const result = await veleroRestoreStep.execute(ctx, restoreParams({ schedule: "offsite" }));

    expect(result).toEqual({
      status: "failed",
      error:
        "no restore on dc2: storage location offsite is Unavailable (rpc error: bucket dr-offsite not reachable), so Velero cannot read backup offsite-1",
    });
    expect(await dc2.listRestores({ labelSelector: `drbot.io/run-id=${ctx.run.id}` })).toEqual([]);
  });

  it("fails saying Velero is not installed on a site without it", async () => {
    const attempt = veleroRestoreStep.execute(contextFor("restore-backup"), restoreParams({ site: "dc1" }));
    await expect(attempt).rejects.toThrow(/site dc1: .*Velero is not installed/);
  });

  it("after a crash, watches the Restore it already created instead of creating a second, and observes it once Completed", async () => {
    const runId = `failover-crash-${Date.now()}`;
    const params = restoreParams({ schedule: "nightly" });
    controller.pause();
    const crash = new AbortController();
    const first = veleroRestoreStep.execute(
      contextFor("restore-backup", { runId, signal: crash.signal }),
      params,
    );
    await waitFor(
      async () => (await dc2.listRestores({ labelSelector: `drbot.io/run-id=${runId}` })).length === 1,
      {
        timeoutMs: 20_000,
        description: "the first attempt to create its Restore",
      },
    );
    crash.abort(new Error("the process died"));
    await expect(first).rejects.toThrow("the process died");

    const afterCrash = await veleroRestoreStep.observe!(
      contextFor("restore-backup", { runId, attempt: 1 }),
      params,
    );
    expect(afterCrash).toEqual({
      holds: false,
      evidence: expect.stringMatching(
        /restore drbot-.* is New on dc2; the step will watch it, not create another/,
      ),
    });

    controller.resume();
    const takeover = contextFor("restore-backup", { runId, attempt: 2 });
    const second = await veleroRestoreStep.execute(takeover, params);

    expect(second.status).toBe("succeeded");
    expect(takeover.lines[0]).toMatch(/restore drbot-.* of this step exists already \(New\); watching it/);
    expect(await dc2.listRestores({ labelSelector: `drbot.io/run-id=${runId}` })).toHaveLength(1);
    expect(
      await veleroRestoreStep.observe!(contextFor("restore-backup", { runId, attempt: 2 }), params),
    ).toEqual({
      holds: true,
      evidence: expect.stringMatching(
        /\(from backup nightly-3\) Completed with 0 error\(s\), 0 warning\(s\) on dc2$/,
      ),
    });
  });

  it("observes a Restore of the step that failed as unknown, so a person decides whether to restore again", async () => {
    const ctx = contextFor("restore-backup");
    await veleroRestoreStep.execute(ctx, restoreParams({ backup: "broken" }));

    const observation = await veleroRestoreStep.observe!(ctx, restoreParams({ backup: "broken" }));

    expect(observation).toMatchObject({ holds: "unknown", evidence: expect.stringMatching(/ended Failed/) });
  });
});

describe("velero.backup", () => {
  it("takes a backup on demand labelled with the run, waits for Completed and reports when it expires", async () => {
    const ctx = contextFor("backup-before");
    const params = veleroBackupStep.params.parse({
      site: "dc2",
      namespaces: ["production", "staging"],
      ttl: "72h",
    });

    const result = await veleroBackupStep.execute(ctx, params);

    expect(result).toEqual({
      status: "succeeded",
      output: expect.stringMatching(
        /^backup drbot-.* Completed with 0 error\(s\), 0 warning\(s\) on dc2, expires 20/,
      ),
    });
    const [backup] = await dc2.listBackups({ labelSelector: `drbot.io/run-id=${ctx.run.id}` });
    expect(backup).toMatchObject({ includedNamespaces: ["production", "staging"], phase: "Completed" });
    expect(backup!.expiresAt! - backup!.startedAt!).toBeGreaterThan(71 * HOUR);
    expect(await veleroBackupStep.observe!(ctx, params)).toMatchObject({ holds: true });

    const again = await veleroBackupStep.execute(ctx, params);
    expect(again.status).toBe("succeeded");
    expect(await dc2.listBackups({ labelSelector: `drbot.io/run-id=${ctx.run.id}` })).toHaveLength(1);
  });

  it("fails when the backup ends PartiallyFailed, with its counts: it is never a success", async () => {
    controller.backupScript = {
      phases: [
        "InProgress",
        "WaitingForPluginOperationsPartiallyFailed",
        "FinalizingPartiallyFailed",
        "PartiallyFailed",
      ],
      warnings: 1,
      errors: 5,
    };
    try {
      const ctx = contextFor("backup-before");
      const result = await veleroBackupStep.execute(
        ctx,
        veleroBackupStep.params.parse({ site: "dc2", namespaces: ["production"] }),
      );

      expect(result).toMatchObject({
        status: "failed",
        error: expect.stringMatching(
          /^backup drbot-.* ended PartiallyFailed with 5 error\(s\), 1 warning\(s\); PartiallyFailed is not a success/,
        ),
      });
      expect(
        await veleroBackupStep.observe!(
          ctx,
          veleroBackupStep.params.parse({ site: "dc2", namespaces: ["production"] }),
        ),
      ).toMatchObject({
        holds: "unknown",
      });
    } finally {
      controller.backupScript = { phases: ["InProgress", "Finalizing", "Completed"], warnings: 0, errors: 0 };
    }
  });

  it("observes that no backup of the step exists yet, so running it takes one", async () => {
    const params = veleroBackupStep.params.parse({ site: "dc2", namespaces: ["production"] });
    expect(await veleroBackupStep.observe!(contextFor("backup-before"), params)).toEqual({
      holds: false,
      evidence: "no backup of this step exists on dc2; it will be taken",
    });
  });
});

describe("restore points for the approval card", () => {
  it("lists the recent backups of the scope's schedules as the restoring site sees them, marking the usable ones", async () => {
    const withVelero = clusters.config({
      applications: [
        {
          name: "payments",
          tier: "tier1",
          namespaces: ["production"],
          workloads: [{ namespace: "production", name: "payments-api", replicas: 3 }],
          dataSources: ["velero-nightly"],
        },
      ],
      dataSources: [{ name: "velero-nightly", kind: "velero", site: "dc1", schedule: "nightly" }],
    });

    const [onDr] = await restorePointsForScope(
      withVelero,
      velero,
      { applications: ["payments"], toSite: "dc2" },
      { now, limit: 3 },
    );
    const [onPrimary] = await restorePointsForScope(
      withVelero,
      velero,
      { applications: ["payments"], toSite: "dc1" },
      { now },
    );

    expect(onDr).toMatchObject({
      source: "velero-nightly",
      schedule: "nightly",
      installed: true,
      backups: [
        { name: "nightly-4", phase: "PartiallyFailed", good: false, dataAt: now - HOUR },
        { name: "nightly-3", phase: "Completed", good: true, dataAt: now - 2 * HOUR },
        { name: "nightly-2", phase: "Completed", good: true, dataAt: now - 24 * HOUR },
      ],
    });
    expect(onPrimary).toMatchObject({ installed: false, detail: "Velero is not installed on dc1" });
  });
});

describe("a run taken over after its executor died during a restore", () => {
  const restoreStep = {
    id: "restore",
    title: "Restore the newest good backup",
    kind: "velero.restore",
    with: { site: "dc2", backup: "newest", schedule: "nightly", namespaces: ["production"] },
  };

  /** A run whose executor created a Restore (attempt 1) and died with the step still running. */
  async function strandedRun(restoreBackup: string) {
    const h = engineHarness({ store: new MemoryRunStore(systemClock), services: { velero } });
    const run = await h.createApprovedRun([restoreStep]);
    const current = (await h.store.getRun(run.id))!;
    await h.store.updateRun({ ...current, state: "running", version: current.version + 1 }, current.version);
    const record = (await h.store.getSteps(run.id)).get("restore")!;
    await h.store.putStep(
      run.id,
      { ...record, status: "running", attempts: 1, startedAt: Date.now() },
      { type: "step.state", at: Date.now(), actor: "dead-owner", runId: run.id, data: { status: "running" } },
    );
    await dc2.createRestore({
      name: `dead-owner-${run.id}`.slice(0, 63),
      backupName: restoreBackup,
      includedNamespaces: ["production"],
      existingResourcePolicy: "none",
      labels: { "drbot.io/run-id": run.id, "drbot.io/step": "restore", "drbot.io/attempt": "1" },
    });
    return { h, run };
  }

  it("watches the Restore the dead executor created to Completed, and never creates a second", async () => {
    controller.pause();
    try {
      const { h, run } = await strandedRun("nightly-3");
      const driving = h.engine.drive(run.id);
      await waitFor(async () => (await h.store.readEvents(run.id)).some((e) => e.type === "step.observed"), {
        timeoutMs: 20_000,
        description: "the new executor to observe the stranded step",
      });
      controller.resume();

      expect(await driving).toEqual({ driven: true, state: "completed" });
      const observed = (await h.store.readEvents(run.id)).find((e) => e.type === "step.observed")!;
      expect(observed.data).toMatchObject({
        holds: false,
        evidence: expect.stringMatching(/is New on dc2; the step will watch it, not create another/),
      });
      expect((await h.store.getSteps(run.id)).get("restore")).toMatchObject({
        status: "succeeded",
        attempts: 2,
      });
      const restores = await dc2.listRestores({ labelSelector: `drbot.io/run-id=${run.id}` });
      expect(restores.map((r) => [r.name, r.phase])).toEqual([
        [`dead-owner-${run.id}`.slice(0, 63), "Completed"],
      ]);
    } finally {
      controller.resume();
    }
  });

  it("pauses the run with Velero's evidence when the dead executor's Restore failed", async () => {
    const { h, run } = await strandedRun("broken");
    await waitFor(
      async () =>
        (await dc2.listRestores({ labelSelector: `drbot.io/run-id=${run.id}` }))[0]?.phase === "Failed",
      {
        timeoutMs: 20_000,
        description: "the stranded Restore to fail",
      },
    );

    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "paused_failed_step" });
    expect((await h.store.getSteps(run.id)).get("restore")!.error).toMatch(
      /whether it took effect is unknown \(restore dead-owner-.* ended Failed .*failure reason: found a restore/,
    );
    expect(await dc2.listRestores({ labelSelector: `drbot.io/run-id=${run.id}` })).toHaveLength(1);
  });
});

describe("velero.storage-location", () => {
  const accessOf = () =>
    clusters.kubectl(
      "dc2",
      "get",
      "backupstoragelocation",
      "primary-bucket",
      "-n",
      "velero",
      "-o",
      "jsonpath={.spec.accessMode}",
    );
  const params = (over: Record<string, unknown> = {}) =>
    veleroStorageLocationStep.params.parse({
      site: "dc2",
      location: "primary-bucket",
      accessMode: "ReadWrite",
      ...over,
    });

  it("makes DR's location read-write once, then says it already is, and observes it", async () => {
    await controller.putStorageLocation("primary-bucket", { phase: "Available" }, false);
    await clusters.kubectl(
      "dc2",
      "patch",
      "backupstoragelocation",
      "primary-bucket",
      "-n",
      "velero",
      "--type=merge",
      "-p",
      '{"spec":{"accessMode":"ReadOnly"}}',
    );
    const ctx = contextFor("dr-backups-writable");
    expect(await veleroStorageLocationStep.observe!(ctx, params())).toEqual({
      holds: false,
      evidence: "storage location primary-bucket on dc2 is ReadOnly",
    });

    expect(await veleroStorageLocationStep.execute(ctx, params())).toEqual({
      status: "succeeded",
      output: "storage location primary-bucket on dc2: ReadOnly → ReadWrite",
    });
    expect(await accessOf()).toBe("ReadWrite");
    expect(await veleroStorageLocationStep.execute(ctx, params())).toEqual({
      status: "succeeded",
      output: "storage location primary-bucket on dc2 is ReadWrite already",
    });
    expect(await veleroStorageLocationStep.observe!(ctx, params())).toMatchObject({ holds: true });
  });

  const modeOf = (location: string) =>
    clusters.kubectl(
      "dc2",
      "get",
      "backupstoragelocation",
      location,
      "-n",
      "velero",
      "-o",
      "jsonpath={.spec.accessMode}",
    );

  it("puts back the mode a run changed, and only for that run: as-before-run, the undo", async () => {
    await controller.putStorageLocation("undo-bucket", { phase: "Available" }, false);
    await clusters.kubectl(
      "dc2",
      "patch",
      "backupstoragelocation",
      "undo-bucket",
      "-n",
      "velero",
      "--type=merge",
      "-p",
      '{"spec":{"accessMode":"ReadWrite"}}',
    );
    const run = contextFor("primary-backups-read-only", { runId: "failover-a" });
    await veleroStorageLocationStep.execute(run, params({ location: "undo-bucket", accessMode: "ReadOnly" }));
    expect(await modeOf("undo-bucket")).toBe("ReadOnly");
    const back = params({ location: "undo-bucket", accessMode: "as-before-run" });

    // Another run's undo finds the location changed by failover-a, not by it: left as it is.
    const other = contextFor("primary-backups-read-only.undo", { runId: "failover-b" });
    expect(await veleroStorageLocationStep.observe!(other, back)).toMatchObject({ holds: true });
    expect(await veleroStorageLocationStep.execute(other, back)).toEqual({
      status: "succeeded",
      output: "storage location undo-bucket on dc2 is ReadOnly, not changed by this run: left as it is",
    });
    expect(await modeOf("undo-bucket")).toBe("ReadOnly");

    const undo = contextFor("primary-backups-read-only.undo", { runId: "failover-a" });
    expect(await veleroStorageLocationStep.observe!(undo, back)).toEqual({
      holds: false,
      evidence: "storage location undo-bucket on dc2 is ReadOnly, changed by this run from ReadWrite",
    });
    expect(await veleroStorageLocationStep.execute(undo, back)).toEqual({
      status: "succeeded",
      output: "storage location undo-bucket on dc2: ReadOnly → ReadWrite, as before this run",
    });
    expect(await modeOf("undo-bucket")).toBe("ReadWrite");
    // The mark went with it: the undo again changes nothing.
    expect(await veleroStorageLocationStep.observe!(undo, back)).toMatchObject({ holds: true });
    expect(await veleroStorageLocationStep.execute(undo, back)).toMatchObject({
      output: expect.stringContaining("not changed by this run: left as it is"),
    });
  });

  it("leaves a location that had the mode already unmarked: its undo changes nothing", async () => {
    await controller.putStorageLocation("kept-bucket", { phase: "Available" }, false);
    await clusters.kubectl(
      "dc2",
      "patch",
      "backupstoragelocation",
      "kept-bucket",
      "-n",
      "velero",
      "--type=merge",
      "-p",
      '{"spec":{"accessMode":"ReadOnly"}}',
    );
    const run = contextFor("primary-backups-read-only", { runId: "failover-c" });
    expect(
      await veleroStorageLocationStep.execute(
        run,
        params({ location: "kept-bucket", accessMode: "ReadOnly" }),
      ),
    ).toMatchObject({
      output: "storage location kept-bucket on dc2 is ReadOnly already",
    });
    await veleroStorageLocationStep.execute(
      run,
      params({ location: "kept-bucket", accessMode: "as-before-run" }),
    );
    expect(await modeOf("kept-bucket")).toBe("ReadOnly");
  });

  it("fails when the site's Velero has no such location", async () => {
    expect(
      await veleroStorageLocationStep.execute(contextFor("x"), params({ location: "elsewhere" })),
    ).toEqual({
      status: "failed",
      error: "Velero on dc2 has no storage location elsewhere",
    });
  });

  it("goes on, saying so, when the primary cannot be reached and the runbook allows it; fails when it does not", async () => {
    const hung = await clusters.hungKubeconfig();
    const unreachable = new VeleroSite(config.sites.find((s) => s.name === "dc1")!, {
      kubeconfigPath: hung,
      timeoutMs: 300,
    });
    const ctx = {
      ...contextFor("primary-backups-read-only"),
      services: { commands: {} as CommandRunner, secrets: [], velero: { velero: () => unreachable } },
    };
    const readOnly = { site: "dc1", accessMode: "ReadOnly" };
    const goOn = await veleroStorageLocationStep.execute(
      ctx,
      params({ ...readOnly, whenUnreachable: "continue" }),
    );
    expect(goOn).toMatchObject({
      status: "succeeded",
      output: expect.stringMatching(
        /^dc1 is unreachable \(site dc1: could not list Velero backupstoragelocations in velero: no answer within 300 ms\); its storage location primary-bucket could not be set ReadOnly; going on as configured$/,
      ),
    });
    expect(await veleroStorageLocationStep.execute(ctx, params(readOnly))).toMatchObject({
      status: "failed",
    });
    expect(await veleroStorageLocationStep.observe!(ctx, params(readOnly))).toMatchObject({
      holds: "unknown",
    });
  });
});
