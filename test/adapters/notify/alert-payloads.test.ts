import { describe, expect, it } from "vitest";
import {
  alertmanagerPayload,
  emailSubject,
  emailText,
  pagerDutyPayload,
} from "../../../src/adapters/notify/alert-payloads.js";
import { lagAlert, runOutcomeAlert, watchAlert } from "../../../src/domain/dr-alert.js";
import { plannedRun } from "../../support/planned-run.js";

const NOW = Date.UTC(2026, 10, 30, 3, 0);

const primaryDown = watchAlert(
  {
    id: "dc1-abc",
    site: "dc1",
    firstFailureAt: NOW - 45_000,
    openedAt: NOW,
    failing: [{ target: "api", since: NOW - 45_000, failures: 3, detail: "connect ECONNREFUSED" }],
  },
  ["payments"],
  "firing",
);

describe("alert payloads", () => {
  it("are a list of alerts for Alertmanager's API v2, ending a day ahead while firing and now once resolved", () => {
    expect(alertmanagerPayload(primaryDown, NOW)).toEqual([
      {
        labels: {
          alertname: "DrbotPrimaryDown",
          severity: "critical",
          service: "drbot",
          drbot_key: "watch:dc1-abc",
          site: "dc1",
          alert: "dc1-abc",
        },
        annotations: {
          summary: `Serving site dc1 is down (failing since ${new Date(NOW - 45_000).toISOString()})`,
          description:
            "api: connect ECONNREFUSED\naffected applications: payments\ndrbot never fails over by itself: request a failover from Slack or the CLI (drbot run failover …)",
        },
        startsAt: new Date(NOW).toISOString(),
        endsAt: new Date(NOW + 86_400_000).toISOString(),
      },
    ]);
    const resolved = watchAlert(
      {
        id: "dc1-abc",
        site: "dc1",
        firstFailureAt: NOW - 45_000,
        openedAt: NOW,
        clearedAt: NOW + 60_000,
        failing: [],
      },
      [],
      "resolved",
    );
    expect(alertmanagerPayload(resolved, NOW + 60_000)[0]).toMatchObject({
      endsAt: new Date(NOW + 60_000).toISOString(),
    });
  });

  it("trigger and resolve PagerDuty Events v2 by the condition's key", () => {
    expect(pagerDutyPayload(primaryDown, "KEY")).toEqual({
      routing_key: "KEY",
      dedup_key: "watch:dc1-abc",
      event_action: "trigger",
      payload: {
        summary: primaryDown.summary,
        source: "drbot",
        severity: "critical",
        timestamp: new Date(NOW).toISOString(),
        component: "dc1",
        class: "DrbotPrimaryDown",
        custom_details: { details: primaryDown.details, site: "dc1", alert: "dc1-abc" },
      },
    });
    const back = lagAlert({ name: "pg", lagAlertMs: 30_000 }, 2_000, "caught up", NOW);
    expect(pagerDutyPayload(back, "KEY")).toEqual({
      routing_key: "KEY",
      dedup_key: "lag:pg",
      event_action: "resolve",
    });
  });

  it("write an email with a one-line subject that says how bad, and the facts in its text", () => {
    const run = plannedRun([{ id: "wait", title: "Wait", kind: "wait", with: { duration: "1s" } }], {
      state: "failed",
      stateReason: "switch-dns failed: webhook answered 503",
    });
    const failed = runOutcomeAlert(run, NOW)!;
    expect(emailSubject(failed, "[drbot]")).toBe(
      `[drbot] CRITICAL: ${run.plan.runbookTitle} (${run.mode}) failed: ${run.scope.applications.join(", ")}`,
    );
    expect(emailText(failed)).toContain("- why: switch-dns failed: webhook answered 503");
    expect(emailText(failed)).toContain(`- details: drbot show ${run.id}, drbot report ${run.id}`);
    const injected = { ...failed, summary: "x\r\nBcc: attacker@example.com" };
    expect(emailSubject(injected, "[drbot]")).toBe("[drbot] CRITICAL: x Bcc: attacker@example.com");
    expect(runOutcomeAlert({ ...run, state: "running" }, NOW)).toBeUndefined();
  });
});
