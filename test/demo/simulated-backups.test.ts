import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import {
  SIMULATED_BACKUP_MS,
  scheduledBackups,
  simulatedRestorePoints,
  simulatedRpo,
} from "../../src/demo/simulated-backups.js";
import type { Config } from "../../src/domain/config.js";

/**
 * The demo's backups behave like a site's: taken on their schedules, ageing with the clock, the same
 * backup under the same name from one request to the next. (Simulated readings: no backup exists.)
 */
let config: Config;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string) => Date.parse(iso);
const scope = { applications: ["payments", "batch-jobs"], toSite: "dc2" };

beforeAll(async () => {
  config = await loadConfig("drbot.example.yaml");
});

/** The backups listed for the scope's first Velero source, which the demo always finds installed. */
function backups(now: number) {
  const [points] = simulatedRestorePoints(config, scope, now);
  if (points?.installed !== true) throw new Error("the simulated Velero source is not installed");
  return points.backups;
}

const reading = (now: number, source: string) => simulatedRpo(config, now).find((r) => r.source === source)!;

describe("the demo's simulated backups", () => {
  it("keep the same names between requests while no schedule comes", () => {
    const first = simulatedRestorePoints(config, scope, at("2026-12-04T10:00:00Z"));
    const later = simulatedRestorePoints(config, scope, at("2026-12-04T10:07:31Z"));
    expect(later).toEqual(first);
    expect(backups(at("2026-12-04T10:00:00Z")).map((b) => b.name)).toEqual([
      "daily-backup-20261204020000-simulated",
      "daily-backup-20261203020000-simulated",
      "daily-backup-20261202020000-simulated",
    ]);
  });

  it("age with the clock, and a new one appears once its schedule comes and it has completed", () => {
    const before = reading(at("2026-12-04T01:59:00Z"), "velero-daily");
    const after = reading(at("2026-12-04T02:10:00Z"), "velero-daily");
    expect(before.recoveryPointAt).toBe(at("2026-12-03T02:00:00Z"));
    expect(before.exposureMs).toBe(23 * HOUR + 59 * MINUTE);
    expect(after.recoveryPointAt).toBe(at("2026-12-04T02:00:00Z"));
    expect(after.exposureMs).toBe(10 * MINUTE);
    // Still running two minutes after its start: the newest completed backup is the one before it.
    const during = at("2026-12-04T02:00:00Z") + SIMULATED_BACKUP_MS - 1;
    expect(backups(during)[0]!.name).toBe("daily-backup-20261203020000-simulated");
  });

  it("take each scheduled source's backups on its own cadence, and keep replication a few seconds behind", () => {
    const now = at("2026-12-04T10:20:00Z");
    expect(reading(now, "longhorn-portal").recoveryPointAt).toBe(at("2026-12-04T10:15:00Z"));
    expect(reading(now, "longhorn-batch").recoveryPointAt).toBe(at("2026-12-04T10:00:00Z"));
    expect(reading(now, "etcd-dc1").recoveryPointAt).toBe(at("2026-12-04T06:00:00Z"));
    expect(reading(now, "postgres-main")).toMatchObject({ exposureMs: 4_000, kind: "postgres" });
    expect(simulatedRpo(config, now).every((r) => r.detail.startsWith("SIMULATED"))).toBe(true);
  });

  it("count interval cadences from the epoch, so an interval's backups are stable too", () => {
    const every = { kind: "interval" as const, everyMs: 30 * MINUTE };
    const now = at("2026-12-04T10:40:00Z");
    expect(scheduledBackups(every, now, 2)).toEqual([at("2026-12-04T10:30:00Z"), at("2026-12-04T10:00:00Z")]);
    expect(scheduledBackups({ kind: "continuous" }, now, 2)).toEqual([]);
  });
});
