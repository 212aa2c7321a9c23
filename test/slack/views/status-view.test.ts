import { describe, expect, it } from "vitest";
import type { RpoReading } from "../../../src/domain/rpo.js";
import { statusText } from "../../../src/slack/views/status-view.js";
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
    const tier1 = lines.findIndex((l) => l.startsWith("• tier1:"));
    expect(lines[tier1]).toBe("• tier1: unknown of 15m :warning: (unknown: pg)");
    expect(lines[tier1 + 1]).toBe(
      "    ◦ pg: lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
    );
    const tier3 = lines.findIndex((l) => l.startsWith("• tier3:"));
    expect(lines[tier3]).toBe("• tier3: unknown of 4h :warning: (unknown: velero)");
    expect(lines[tier3 + 1]).toBe("    ◦ velero: Velero is not installed on dc1");
  });

  it("names a source nothing reported on, and the deadline a silent source missed", () => {
    const silent: RpoReading = { ...pgDown, detail: "no answer within 2000 ms" };
    const text = statusText(reportWithUnknowns([silent]));
    expect(text).toContain("◦ pg: no answer within 2000 ms");
    expect(text).toContain("◦ velero: no reading: nothing in this drbot reads this source");
  });

  it("shows a known reading without reasons", () => {
    const text = statusText(reportWithUnknowns([{ ...pgDown, exposureMs: 60_000, detail: "lag 60s" }]));
    expect(text).toContain("• tier1: 1m of 15m");
    expect(text).not.toContain("◦ pg");
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
});
