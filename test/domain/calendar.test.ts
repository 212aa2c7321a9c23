import { describe, expect, it } from "vitest";
import { decideSchedule, nextOccurrence } from "../../src/domain/calendar.js";
import { configSchema } from "../../src/domain/config.js";
import { testConfig } from "../support/config-fixture.js";

const WEEKLY = "0 6 * * MON";
const at = (iso: string) => Date.parse(iso);

describe("the DR test calendar", () => {
  it("sets a baseline the first time instead of firing at once", () => {
    const decision = decideSchedule({
      cron: WEEKLY,
      timezone: "UTC",
      lastRunAt: undefined,
      now: at("2026-11-25T09:00:00Z"),
    });
    expect(decision).toEqual({ due: false, baseline: true, next: at("2026-11-30T06:00:00Z") });
  });

  it("is due once the next occurrence after the last run has come", () => {
    const lastRunAt = at("2026-11-16T06:00:05Z");
    expect(
      decideSchedule({ cron: WEEKLY, timezone: "UTC", lastRunAt, now: at("2026-11-23T05:59:59Z") }).due,
    ).toBe(false);
    expect(
      decideSchedule({ cron: WEEKLY, timezone: "UTC", lastRunAt, now: at("2026-11-23T06:00:00Z") }),
    ).toMatchObject({
      due: true,
      occurrence: at("2026-11-23T06:00:00Z"),
    });
  });

  it("handles several missed occurrences as one, and not again once handled", () => {
    const lastRunAt = at("2026-10-05T06:00:00Z");
    const now = at("2026-11-25T09:00:00Z");
    const decision = decideSchedule({ cron: WEEKLY, timezone: "UTC", lastRunAt, now });
    expect(decision).toMatchObject({
      due: true,
      occurrence: at("2026-10-12T06:00:00Z"),
      next: at("2026-11-30T06:00:00Z"),
    });
    expect(decideSchedule({ cron: WEEKLY, timezone: "UTC", lastRunAt: now, now: now + 60_000 }).due).toBe(
      false,
    );
  });

  it("follows the configured time zone", () => {
    expect(nextOccurrence("0 6 * * *", "Europe/Berlin", at("2026-11-25T00:00:00Z"))).toBe(
      at("2026-11-25T05:00:00Z"),
    );
  });

  it("refuses a bad cron expression, a schedule with both run and remind, and a bad time zone", () => {
    const bad = configSchema.safeParse({
      ...testConfig(),
      calendar: {
        timezone: "Mars/Olympus",
        schedules: [
          { name: "weekly", cron: "every monday", run: "backup-verify" },
          { name: "both", cron: "0 6 * * MON", run: "backup-verify", remind: "drill" },
        ],
      },
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages.some((m) => m.startsWith("calendar.timezone: not a time zone"))).toBe(true);
    expect(
      messages.some((m) => m.startsWith("calendar.schedules.0.cron:") && m.includes("not a cron expression")),
    ).toBe(true);
    expect(messages).toContain("calendar.schedules.1: give either run: RUNBOOK or remind: RUNBOOK");
  });

  it("refuses a probe deadline longer than the watch interval", () => {
    const bad = configSchema.safeParse({ ...testConfig(), watch: { interval: "5s", probeTimeout: "10s" } });
    expect(bad.error?.issues[0]?.message).toContain("probeTimeout must not be longer than interval");
  });
});
