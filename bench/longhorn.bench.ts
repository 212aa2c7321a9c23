import { performance } from "node:perf_hooks";
import { LonghornSite } from "../src/adapters/longhorn/longhorn-site.js";
import { readLonghornRpo } from "../src/adapters/longhorn/read-longhorn-rpo.js";
import type { StepContext } from "../src/engine/step-kind.js";
import { longhornActivateStep } from "../src/engine/step-kinds/longhorn-activate.js";
import { silentLogger } from "../src/ports/logger.js";
import type { LonghornServices } from "../src/ports/longhorn.js";
import { startTestClusters } from "../test/support/k8s-testenv.js";
import { FakeLonghorn } from "../test/support/longhorn-controller.js";
import { installLonghornCrds } from "../test/support/longhorn-crds.js";
import { type BenchResult, percentile } from "./bench-kit.js";

/**
 * Longhorn's share of `/dr status` and of a failover, on the local DR cluster with Longhorn's real
 * CRDs: the RPO reading of a source with 20 critical volumes and 30 backups each (600 Backup
 * objects, 5 of them per volume failed), and the longhorn.activate step over 10 DR volumes, from
 * preflight to verified, with the stand-in controller finishing each activation as it sees it.
 */
const VOLUMES = 20;
const BACKUPS_PER_VOLUME = 30;
const READS = 15;
const ACTIVATE = 10;

export async function run(): Promise<BenchResult> {
  const clusters = await startTestClusters();
  const longhorn = new FakeLonghorn(clusters.kubeconfigPath, "dc2");
  try {
    await clusters.kubectl("dc2", "create", "namespace", "longhorn-system");
    await installLonghornCrds(clusters, "dc2");
    await longhorn.backupTarget();
    await longhorn.recurringJob("backup-hourly", "0 * * * *", ["default"]);
    const now = Math.floor(Date.now() / 1000) * 1000;
    const at = (minutes: number) => new Date(now - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    const names = Array.from({ length: VOLUMES }, (_, i) => `data-${String(i).padStart(2, "0")}`);
    const setupStarted = performance.now();
    await Promise.all(
      names.map(async (name, i) => {
        for (let b = 0; b < BACKUPS_PER_VOLUME; b++)
          await longhorn.backup(
            name,
            `${name}-b${b}`,
            b % 6 === 5 ? "Error" : "Completed",
            at(60 * (b + 1) + i),
          );
        await longhorn.backupVolume(name, `${name}-b0`, at(60 + i));
        await longhorn.drVolume({ name, lastBackup: `${name}-b0`, lastBackupAt: at(60 + i) });
      }),
    );
    const setupMs = performance.now() - setupStarted;

    const site = clusters.config().sites.find((s) => s.name === "dc2")!;
    // One site object for every reading, as the runtime keeps them: connections are reused.
    const dc2 = new LonghornSite(site);
    const services: LonghornServices = { site: () => dc2 };
    const source = {
      name: "critical",
      kind: "longhorn" as const,
      site: "dc2",
      namespace: "longhorn-system",
      volumes: names,
    };
    const readings: number[] = [];
    let exposureMs = 0;
    for (let r = 0; r < READS; r++) {
      const started = performance.now();
      const reading = await readLonghornRpo(source, services, now);
      readings.push(performance.now() - started);
      exposureMs = reading.exposureMs ?? Number.NaN;
    }

    longhorn.start();
    const params = longhornActivateStep.params.parse({ site: "dc2", volumes: names.slice(0, ACTIVATE) });
    const started = performance.now();
    const result = await longhornActivateStep.execute(stepContext(params, services), params);
    const activationMs = performance.now() - started;
    if (result.status !== "succeeded") throw new Error(`activation failed: ${JSON.stringify(result)}`);

    return {
      name: "longhorn",
      figures: [
        { name: `RPO reading, ${VOLUMES} volumes, p50`, value: percentile(readings, 50), unit: "ms" },
        {
          name: `RPO reading, ${VOLUMES} volumes, p95`,
          value: percentile(readings, 95),
          unit: "ms",
          target: { op: "<", value: 1_000 },
        },
        { name: "RPO exposure read (oldest newest backup)", value: exposureMs / 60_000, unit: "min" },
        {
          name: `activate ${ACTIVATE} volumes, preflight to verified`,
          value: activationMs,
          unit: "ms",
          target: { op: "<", value: 10_000 },
        },
        {
          name: `setup: ${VOLUMES * BACKUPS_PER_VOLUME} backups and ${VOLUMES} volumes`,
          value: setupMs,
          unit: "ms",
        },
      ],
      notes: [
        "the RPO target keeps Longhorn well inside /dr status's 2 s budget, read side by side with the other sources",
        "activation time includes the stand-in controller's 50 ms reconcile period; real Longhorn adds its restore of the newest backup",
      ],
    };
  } finally {
    longhorn.stop();
    await clusters.stop();
  }
}

function stepContext(params: Record<string, unknown>, longhorn: LonghornServices): StepContext {
  const timeoutMs = 60_000;
  return {
    run: {
      id: "bench",
      kind: "failover",
      mode: "real",
      requestedBy: "U0BENCH",
      reason: "bench",
      channel: "C0BENCH",
    },
    step: {
      id: "activate",
      runbookStepId: "activate",
      phase: "data",
      rtoPhase: "activation",
      title: "Activate Longhorn volumes",
      kind: "longhorn.activate",
      params,
      timeoutMs,
      retries: 0,
      retryDelayMs: 0,
      onFailure: "pause",
      needs: [],
      summary: "",
    },
    attempt: 1,
    mode: "real",
    scope: { applications: [], tiers: [], fromSite: "dc1", toSite: "dc2" },
    config: undefined as never,
    signal: AbortSignal.timeout(timeoutMs),
    deadline: Date.now() + timeoutMs,
    clock: { now: () => Date.now() },
    services: { commands: undefined as never, secrets: [], longhorn },
    logger: silentLogger,
    log: () => undefined,
    attestations: [],
  };
}
