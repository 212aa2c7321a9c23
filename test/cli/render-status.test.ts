import { describe, expect, it } from "vitest";
import { statusText } from "../../src/cli/render-text.js";
import type { RpoReading } from "../../src/domain/rpo.js";
import { reportWithUnknowns } from "../support/status-fixture.js";

const at = Date.parse("2025-01-10T03:00:00Z");

describe("drbot status text", () => {
  it("says why and where each unknown source is unknown, under its tier", () => {
    const readings: RpoReading[] = [
      { source: "pg", kind: "postgres", exposureMs: undefined, at, detail: "no answer within 2000 ms" },
      {
        source: "velero",
        kind: "velero",
        exposureMs: undefined,
        at,
        detail: "Velero is not installed on dc1",
      },
    ];
    const lines = statusText(reportWithUnknowns(readings)).split("\n");
    expect(lines).toContain("dc1      primary  DOWN: no answer within 2000 ms");
    const tier1 = lines.indexOf(
      "  tier1: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)",
    );
    expect(lines[tier1 + 1]).toBe("    pg (data): unknown: no answer within 2000 ms");
    const tier3 = lines.indexOf(
      "  tier3: UNKNOWN, treat as at risk: velero could not be read; configuration only, no application data (target 4h)",
    );
    expect(lines[tier3 + 1]).toBe("    velero (configuration): unknown: Velero is not installed on dc1");
  });

  it("keeps a server's control characters off the terminal", () => {
    const readings: RpoReading[] = [
      {
        source: "pg",
        kind: "postgres",
        exposureMs: undefined,
        at,
        detail: "lag unknown:\u001b[2J\nreplica gone",
      },
    ];
    const text = statusText(reportWithUnknowns(readings));
    expect(text).toContain("    pg (data): unknown: lag unknown: [2J replica gone");
    expect(text).not.toContain("\u001b");
  });
});
