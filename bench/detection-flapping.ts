import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { servingProbes } from "../src/app/serving-probes.js";
import { ServingWatcher } from "../src/app/serving-watcher.js";
import type { Config } from "../src/domain/config.js";
import type { ProbeResult } from "../src/domain/probe-tracker.js";
import { initialServing } from "../src/domain/site-state.js";
import type { Probe } from "../src/ports/probe.js";
import { kubernetesSites } from "../src/runtime/create-runtime.js";
import { seededRandom } from "../test/support/seeded-random.js";
import type { Figure } from "./bench-kit.js";

/**
 * A flapping primary: the watcher's real probes of the site that serves (every application at home:
 * DC1's API server, the application's health check) against servers that answer, each failing
 * instead at random 20 % of the time, from a fixed seed, for 10 minutes of watch time at the
 * configured interval. Time is compressed with the watcher's
 * injected clock: each round really probes, then the clock moves one interval on. Counts the alerts
 * drbot opens (target 0) and, from the same results, those the old rule would have opened (any probe
 * failing 3 rounds in a row, cleared after 2 successful rounds of every probe).
 */
const WATCH_MS = 10 * 60_000;
const FAILURE_RATE = 0.2;
const SEED = 20_260_101;

export async function flapping(config: Config): Promise<{ figures: Figure[]; notes: string[] }> {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const random = seededRandom(SEED);
  let injected = 0;
  const flaky = (probe: Probe): Probe => ({
    ...probe,
    check: (signal) => {
      if (random() >= FAILURE_RATE) return probe.check(signal);
      injected++;
      return Promise.resolve({ ok: false, detail: "injected failure" });
    },
  });
  const probes = servingProbes(config, initialServing(config), kubernetesSites(config)).map(flaky);
  const old = oldRule(3, 2);
  let opened = 0;
  let probesRun = 0;
  const watcher = new ServingWatcher({
    probes: async () => probes,
    intervalMs: config.watch.interval,
    probeTimeoutMs: config.watch.probeTimeout,
    failureThreshold: config.watch.failureThreshold,
    recoveryThreshold: config.watch.recoveryThreshold,
    ...(config.watch.confirmFor !== undefined ? { confirmForMs: config.watch.confirmFor } : {}),
    clock,
    store: new MemoryRunStore(clock),
    notifier: {
      alertOpened: async () => {},
      alertCleared: async () => {},
      reminder: async () => {},
      scheduleFailed: async () => {},
    },
    channel: "C0INCIDENT",
    onRound: (results, events) => {
      probesRun += results.length;
      opened += events.filter((e) => e.type === "alert_opened").length;
      old.observe(results);
    },
  });
  const rounds = WATCH_MS / config.watch.interval;
  for (let i = 0; i < rounds; i++) {
    await watcher.round();
    now += config.watch.interval;
  }
  await watcher.idle();
  return {
    figures: [
      { name: "flapping primary: alerts", value: opened, unit: "alerts", target: { op: "<=", value: 0 } },
      { name: "flapping primary: alerts by 3 failures in a row", value: old.alerts(), unit: "alerts" },
      {
        name: "flapping primary: probes failed",
        value: Math.round((injected / probesRun) * 1000) / 10,
        unit: "%",
      },
    ],
    notes: [
      `flapping: ${probes.length} probes (${probes.map((p) => p.target).join(", ")}), ${rounds} rounds ${config.watch.interval / 1000} s apart (${WATCH_MS / 60_000} min of watch time on the injected clock), ${FAILURE_RATE * 100} % failing at random, seed ${SEED}`,
    ],
  };
}

/** The detector as it was: any probe failing `threshold` rounds in a row opens an alert. */
function oldRule(threshold: number, recovery: number) {
  const streaks = new Map<string, { failures: number; successes: number }>();
  let open = false;
  let alerts = 0;
  return {
    observe(results: readonly ProbeResult[]) {
      for (const r of results) {
        const s = streaks.get(r.target) ?? { failures: 0, successes: 0 };
        streaks.set(
          r.target,
          r.ok ? { failures: 0, successes: s.successes + 1 } : { failures: s.failures + 1, successes: 0 },
        );
      }
      const all = [...streaks.values()];
      if (!open && all.some((s) => s.failures >= threshold)) {
        open = true;
        alerts++;
      } else if (open && all.every((s) => s.successes >= recovery)) open = false;
    },
    alerts: () => alerts,
  };
}
