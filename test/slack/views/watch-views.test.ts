import { describe, expect, it } from "vitest";
import type { WatchAlert } from "../../../src/domain/probe-tracker.js";
import { validateBlocks } from "../../../src/emulator/block-kit-validation.js";
import {
  alertClearedView,
  alertOpenedView,
  reminderView,
  WATCH_ACTION,
} from "../../../src/slack/views/watch-views.js";

const alert: WatchAlert = {
  id: "dc1-mfk2",
  site: "dc1",
  firstFailureAt: Date.parse("2026-11-25T03:00:00Z"),
  openedAt: Date.parse("2026-11-25T03:00:10Z"),
  failing: Array.from({ length: 40 }, (_, i) => ({
    target: i === 0 ? "api" : `app:app-${i}/health`,
    since: Date.parse("2026-11-25T03:00:00Z"),
    failures: 3,
    detail: i === 0 ? "<!channel> connect ECONNREFUSED 127.0.0.1:6443 *boom*" : "answered 503 ".repeat(30),
  })),
};

describe("the watcher's Slack views", () => {
  it("shows what fails since when, with a failover button, within Slack's limits and with details escaped", () => {
    const view = alertOpenedView(alert, ["payments", "core-api"]);
    expect(validateBlocks(view.blocks)).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain("dc1 is down");
    expect(text).toContain("Request failover");
    expect(text).toContain("payments, core-api");
    expect(text).toContain(`"action_id":"${WATCH_ACTION.alertFailover}","value":"dc1-mfk2"`);
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("(10s later)");
    expect(text).toMatch(/… and \d+ more failing check\(s\)/);
  });

  it("drops the button once the alert cleared and says how long the primary was down", () => {
    const view = alertClearedView({ ...alert, clearedAt: Date.parse("2026-11-25T03:05:00Z") });
    expect(validateBlocks(view.blocks)).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain("recovered");
    expect(text).toContain("5m");
    expect(text).not.toContain(WATCH_ACTION.alertFailover);
  });

  it("offers a failback when the site down is DR, serving applications away from home", () => {
    const text = JSON.stringify(alertOpenedView({ ...alert, site: "dc2" }, ["payments"], "failback").blocks);
    expect(text).toContain("dc2 is down");
    expect(text).toContain("Request failback");
    expect(text).toContain("opens a failback request for payments");
  });

  it("says an alert cleared because its site no longer serves, not that it recovered", () => {
    const view = alertClearedView({
      ...alert,
      clearedAt: Date.parse("2026-11-25T03:05:00Z"),
      clearedBecause: "no_longer_serving",
    });
    expect(view.text).toBe(
      "dc1 no longer serves: its applications moved, the watcher probes where they are served now",
    );
    expect(JSON.stringify(view.blocks)).not.toContain("recovered");
  });

  it("offers the quarterly drill with a button carrying the reminder", () => {
    const view = reminderView({
      id: "quarterly-drill-abc",
      schedule: "quarterly-drill",
      runbook: "drill",
      targets: ["tier1"],
      text: "Quarterly full DR drill",
      channel: "C0INCIDENT",
      at: 0,
    });
    expect(validateBlocks(view.blocks)).toEqual([]);
    expect(JSON.stringify(view.blocks)).toContain(
      `"action_id":"${WATCH_ACTION.reminderRequest}","value":"quarterly-drill-abc"`,
    );
  });
});
