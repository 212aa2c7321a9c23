import { describe, expect, it } from "vitest";
import type { RpoReading } from "../../../src/domain/rpo.js";
import { statusText } from "../../../src/slack/views/status-view.js";
import { testConfig } from "../../support/config-fixture.js";
import { servingAfterFailover } from "../../support/serving.js";
import { reportWithUnknowns } from "../../support/status-fixture.js";

const at = Date.parse("2025-01-10T03:00:00Z");

const pgDown: RpoReading = {
  source: "pg",
  kind: "postgres",
  exposureMs: undefined,
  at,
  detail: "lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
};
const noVelero: RpoReading = {
  source: "velero",
  kind: "velero",
  exposureMs: undefined,
  at,
  detail: "Velero is not installed on dc1",
};

describe("the /dr status view", () => {
  it("says why and where each unknown source is unknown, under its tier", () => {
    const text = statusText(reportWithUnknowns([pgDown, noVelero]));
    const lines = text.split("\n");
    const tier1 = lines.findIndex((l) => l.startsWith("• :warning: tier1:"));
    expect(lines[tier1]).toBe(
      "• :warning: tier1: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)",
    );
    expect(lines[tier1 + 1]).toBe(
      "    ◦ ❔ pg (data): unknown: lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
    );
    const tier3 = lines.findIndex((l) => l.startsWith("• :warning: tier3:"));
    expect(lines[tier3]).toBe(
      "• :warning: tier3: UNKNOWN, treat as at risk: velero could not be read; configuration only, no application data (target 4h)",
    );
    expect(lines[tier3 + 1]).toBe("    ◦ ❔ velero (configuration): unknown: Velero is not installed on dc1");
  });

  it("names a source nothing reported on, and the deadline a silent source missed", () => {
    const silent: RpoReading = { ...pgDown, detail: "no answer within 2000 ms" };
    const text = statusText(reportWithUnknowns([silent]));
    expect(text).toContain("◦ ❔ pg (data): unknown: no answer within 2000 ms");
    expect(text).toContain(
      "◦ ❔ velero (configuration): unknown: no reading: nothing in this drbot reads this source",
    );
  });

  it("shows a reading within its design in green, with the design it meets", () => {
    const text = statusText(reportWithUnknowns([{ ...pgDown, exposureMs: 20_000, detail: "lag 20s" }]));
    expect(text).toContain(
      "• :large_green_circle: tier1: within design: 20s of data at risk (target 15m, pg)",
    );
    expect(text).toContain("◦ ✅ pg (data): lag 20s, within 30s");
  });

  it("turns a source over its threshold red, and its tier when the data at risk is beyond the RPO", () => {
    const text = statusText(reportWithUnknowns([{ ...pgDown, exposureMs: 20 * 60_000, detail: "lag 20m" }]));
    expect(text).toContain(
      "• :red_circle: tier1: OVER TARGET: 20m of data at risk (target 15m, pg); on schedule, but the design cannot meet the RPO",
    );
    expect(text).toContain("◦ ❌ pg (data): lag 20m is over its 30s threshold");
  });

  it("says beside a known Velero reading that the primary has a newer backup DR has not synced yet", () => {
    const lagging: RpoReading = {
      ...noVelero,
      exposureMs: 3_600_000,
      detail: "newest Completed backup of daily-backup on dc2: daily-backup-0200; dc1 has a newer …",
      notice:
        "dc1 has a newer Completed backup, daily-backup-0300, not on dc2 yet (dc2's Velero brings it in from the bucket at its next sync; its storage location default last synced 40s ago)",
    };
    const lines = statusText(reportWithUnknowns([lagging])).split("\n");
    const tier3 = lines.findIndex((l) => l.includes(" tier3: "));
    expect(lines[tier3 + 1]).toMatch(/^ {4}◦ \S+ velero \(configuration\): 1h old/);
    expect(lines[tier3 + 1]).toMatch(new RegExp(`; ${lagging.notice!.replace(/[()]/g, "\\$&")}$`));
  });

  it("escapes what a server said, so a reading cannot mention the channel or format the answer", () => {
    const hostile: RpoReading = {
      ...noVelero,
      detail: "<!channel> *Velero* is not installed on dc1 <@U0A1>",
    };
    const text = statusText(reportWithUnknowns([hostile]));
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<@U0A1>");
    expect(text).toContain("&lt;!channel&gt;");
  });

  it("says which site serves each application, grouped by the move that put them there", () => {
    const serving = servingAfterFailover(testConfig(), ["payments"]);
    const text = statusText({ ...reportWithUnknowns([]), serving: { read: true, applications: serving } });
    expect(text).toContain(
      "*Serving*\n• payments: serving from *dc2* since <!date^1779996400^{date_short_pretty} {time}|2026-05-28T19:26:40.000Z>, `failover-1203-0312-abc123` by <@U0ONCALL>\n• core-api, analytics: serving from *dc1* (home)",
    );
  });

  it("says so, rather than guessing, when the site state could not be read", () => {
    const text = statusText({
      ...reportWithUnknowns([]),
      serving: { read: false, detail: "no answer within 2000 ms" },
    });
    expect(text).toContain("*Serving*\n:warning: unknown: no answer within 2000 ms");
  });
});
