import { describe, expect, it } from "vitest";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import { applicationReadiness, tierReadiness } from "../../../src/domain/readiness/readiness.js";
import { validateView } from "../../../src/emulator/view-validation.js";
import { appHomeView } from "../../../src/slack/views/app-home-view.js";
import { runRecord } from "../../support/run-fixtures.js";

const at = Date.parse("2025-01-10T03:00:00Z");
const tiers = ["tier1", "tier2", "tier3"];
const apps = Array.from({ length: 30 }, (_, i) => ({ name: `application-${i}`, tier: tiers[i % 3]! }));

function home(options: { runs?: number } = {}) {
  const applications = apps.map((a, i) =>
    applicationReadiness(a.name, a.tier, [
      {
        check: "drift",
        verdict: i % 7 === 0 ? "not_ready" : i % 5 === 0 ? "degraded" : "ready",
        summary: `image of ${a.name} differs`,
        evidence: [],
      },
    ]),
  );
  const report = {
    readAt: at - 60_000,
    tookMs: 900,
    applications,
    tiers: tierReadiness(tiers, applications),
  };
  const runs = Array.from({ length: options.runs ?? 3 }, (_, i) =>
    runRecord({ id: `failover-0110-030${i}-abcdef`, state: "running" }),
  );
  return appHomeView({
    now: at,
    readiness: keptRound(report, at, 600_000),
    tiers,
    serving: apps.map((a, i) => ({ application: a.name, site: i < 4 ? "dc2" : "dc1", home: "dc1" })),
    active: runs,
    links: new Map(runs.map((r) => [r.id, `https://drbot.slack.com/archives/C0INCIDENT/p${r.id.length}`])),
    upcoming: [
      { schedule: "quarterly-drill", runbook: "drill", at: at + 86_400_000, reminder: true },
      { schedule: "weekly-verify", runbook: "backup-verify", at: at + 3_600_000, reminder: false },
    ],
    recent: [runRecord({ id: "drill-0101-1000-abcdef", kind: "drill", state: "completed" })],
  });
}

describe("the App Home view", () => {
  it("renders 30 applications on three tiers, 50 active runs and the calendar without a Block Kit error", () => {
    const view = home({ runs: 50 });

    expect(validateView(view, "home")).toMatchObject({ ok: true });
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it("shows each tier's readiness with its open applications, who serves what, and the runs linked to their threads", () => {
    const text = JSON.stringify(home().blocks);

    expect(text).toContain(":red_circle: *tier1*: not ready: application-0 (not ready)");
    expect(text).toContain("*dc2* serves 4: application-0 (away from home), application-1 (away from home)");
    expect(text).toContain("*dc1* serves 26:");
    expect(text).toContain("<https://drbot.slack.com/archives/C0INCIDENT/p");
    expect(text).toContain("weekly-verify (runs backup-verify)");
    expect(text.indexOf("weekly-verify")).toBeLessThan(text.indexOf("quarterly-drill"));
    expect(text).toContain("*Recent runs*");
  });

  it("cuts long lists with how many more instead of growing", () => {
    const text = JSON.stringify(home({ runs: 50 }).blocks);

    expect(text).toContain("… 40 more: `/dr runs`");
  });
});
