import { describe, expect, it } from "vitest";
import { judgeDrill } from "../../../src/domain/readiness/drill.js";

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 4, 3, 0);
const quarterly = { name: "quarterly-drill", cron: "0 9 1 1,4,7,10 *", timezone: "UTC" };

const drill = (ageDays: number | undefined, schedules = [quarterly]) =>
  judgeDrill({
    application: "payments",
    tier: "tier1",
    last: { value: ageDays === undefined ? undefined : { runId: "drill-1", at: now - ageDays * DAY } },
    schedules,
    now,
  });

describe("the last drill against the DR calendar", () => {
  it("is ready when the last successful drill is within the calendar's cadence", () => {
    const finding = drill(30);
    expect(finding.verdict).toBe("ready");
    expect(finding.summary).toBe("last successful drill 30d ago (drill-1, 2026-11-04T03:00:00.000Z)");
    expect(finding.evidence).toEqual([
      "the calendar asks for one every 92d (quarterly-drill: 0 9 1 1,4,7,10 *)",
      "next scheduled: 2027-01-01T09:00:00.000Z",
    ]);
  });

  it("an overdue drill is degraded: older than the cadence plus the grace", () => {
    expect(drill(100).verdict).toBe("ready");
    const finding = drill(110);
    expect(finding.verdict).toBe("degraded");
    expect(finding.summary).toMatch(/^drill overdue for payments: last successful drill 110d ago/);
    expect(finding.evidence).toContain("overdue after 106d (14d of grace)");
    expect(finding.action).toBe("run a drill of tier1 (/dr drill tier1)");
  });

  it("no drill ever is degraded with 'no drill on record'", () => {
    expect(drill(undefined)).toMatchObject({
      verdict: "degraded",
      summary: "no drill on record for payments (tier1)",
    });
  });

  it("without a drill schedule for the tier, the seed's quarterly drill is expected", () => {
    const finding = drill(120, []);
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence[0]).toBe(
      "no calendar schedule drills tier1: the seed asks for one every quarter",
    );
  });

  it("is unknown when the run history could not be read", () => {
    const finding = judgeDrill({
      application: "payments",
      tier: "tier1",
      last: { error: "Redis timeout" },
      schedules: [],
      now,
    });
    expect(finding).toMatchObject({ verdict: "unknown", evidence: ["Redis timeout"] });
  });
});
