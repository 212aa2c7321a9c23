import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { AlertDispatcher } from "../../../src/app/alerts/alert-dispatcher.js";
import { FIRING_KEY, RpoAlertMonitor } from "../../../src/app/alerts/rpo-alert-monitor.js";
import type { DrAlert } from "../../../src/domain/dr-alert.js";
import { type RpoReading, tierRpo } from "../../../src/domain/rpo.js";
import { testConfig } from "../../support/config-fixture.js";
import { recordingLogger } from "../../support/recording-logger.js";

/**
 * RPO breaches and replication lag as alerts: testConfig's tier1 is carried by the PostgreSQL
 * source pg (lag alert 30 s, RPO 15 m). Each round reads the lag the test sets.
 */
const config = testConfig();
const NOW = 1_800_000_000_000;

function setup() {
  const sent: DrAlert[] = [];
  const alerts = new AlertDispatcher({
    channels: [{ name: "email", send: async (a) => void sent.push(a) }],
    kinds: ["rpo", "lag"],
    timeoutMs: 1_000,
    logger: recordingLogger(),
  });
  let lagMs: number | undefined = 1_000;
  const store = new MemoryRunStore({ now: () => NOW });
  const readings = (): RpoReading[] => [
    { source: "pg", kind: "postgres", exposureMs: lagMs, at: NOW, detail: `lag ${lagMs} ms` },
    { source: "velero", kind: "velero", exposureMs: 3_600_000, at: NOW, detail: "an hour old" },
  ];
  const monitor = (s = store) =>
    new RpoAlertMonitor({
      config,
      readRpo: async () => tierRpo(config, readings(), NOW),
      store: s,
      alerts,
      clock: { now: () => NOW },
      intervalMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
  return { sent, alerts, store, monitor, setLag: (ms: number | undefined) => (lagMs = ms) };
}

describe("RPO and lag alerts", () => {
  it("fire after two rounds over the line, not after one slow reading, and resolve the same way", async () => {
    const h = setup();
    const m = h.monitor();
    expect(await m.check()).toEqual([]);
    h.setLag(45_000);
    expect(await m.check()).toEqual([]);
    const fired = await m.check();
    expect(fired.map((a) => [a.key, a.status, a.summary])).toEqual([
      ["lag:pg", "firing", "Replication lag of pg is 45s, over 30s"],
    ]);
    h.setLag(20 * 60_000);
    await m.check();
    const breached = await m.check();
    expect(breached.map((a) => [a.key, a.status])).toEqual([["rpo:tier1", "firing"]]);
    expect(breached[0]!.summary).toBe(
      "RPO of tier1 is at risk: OVER TARGET: 20m of data at risk (target 15m, pg); on schedule, but the design cannot meet the RPO",
    );
    expect(JSON.parse((await h.store.kvGet(FIRING_KEY))!)).toEqual(["lag:pg", "rpo:tier1"]);
    h.setLag(500);
    expect(await m.check()).toEqual([]);
    expect((await m.check()).map((a) => [a.key, a.status])).toEqual([
      ["rpo:tier1", "resolved"],
      ["lag:pg", "resolved"],
    ]);
    await h.alerts.idle();
    expect(h.sent.map((a) => `${a.key} ${a.status}`)).toEqual([
      "lag:pg firing",
      "rpo:tier1 firing",
      "rpo:tier1 resolved",
      "lag:pg resolved",
    ]);
  });

  it("treats a replica that cannot be read as lagging, and lets a new leader resolve what the last one fired", async () => {
    const h = setup();
    h.setLag(undefined);
    const first = h.monitor();
    await first.check();
    expect((await first.check()).map((a) => [a.key, a.status, a.severity])).toEqual([
      ["rpo:tier1", "firing", "warning"],
      ["lag:pg", "firing", "critical"],
    ]);
    // The leader dies; the next one reads the firing conditions from the store.
    h.setLag(1_000);
    const next = h.monitor();
    await next.check();
    expect((await next.check()).map((a) => [a.key, a.status])).toEqual([
      ["rpo:tier1", "resolved"],
      ["lag:pg", "resolved"],
    ]);
  });
});
