import { describe, expect, it } from "vitest";
import { runsText, runText } from "../../src/cli/render-text.js";
import { runRecord } from "../support/run-fixtures.js";
import { completedFailover, event, minute, T0 } from "../support/show-fixture.js";

/** `drbot show` and `drbot runs` as the terminal prints them: times in UTC, events in words, no raw JSON. */
describe("drbot show text", () => {
  it("lists approvals with their times, the skip with who and why, and a timeline in words", () => {
    const { run, steps, events } = completedFailover();
    const lines = runText(run, steps, T0 + 60 * minute, events).split("\n");
    expect(lines).toContain("  approvals: 2/2");
    expect(lines).toContain("    U0LEAD2 at 2026-12-04 03:03:00Z");
    expect(lines).toContain("    U0SRE3 at 2026-12-04 03:05:00Z (accepted the data loss)");
    expect(lines).toContain(
      "  skipped:   fence-primary by U0LEAD2 at 2026-12-04 03:11:00Z: DC1 is powered off",
    );
    expect(lines).toContain("  timeline (UTC):");
    expect(lines).toContain(
      "    2026-12-04 03:11:00Z  engine         fence-primary failed: DC1 API server did not answer within 10s",
    );
    expect(lines).toContain("    2026-12-04 03:05:00Z  U0SRE3         approval recorded (2/2), run approved");
    const text = lines.join("\n");
    expect(text).not.toMatch(/\{"|\.\.\.$/m);
    expect(text).not.toContain("scaled payments-api to 3");
  });

  it("tells a rejection with its words, and points to the report past the newest 40 events", () => {
    const { run, steps } = completedFailover();
    const rejected = {
      ...run,
      state: "rejected" as const,
      approvals: [],
      decisions: [
        { userId: "U0LEAD2", at: T0 + 4 * minute, decision: "rejected" as const, note: "payments only" },
      ],
    };
    const many = Array.from({ length: 45 }, (_, i) => event(i, "engine", "run.note", { i }));
    const text = runText(rejected, steps, T0 + 60 * minute, many);
    expect(text).toContain("  rejected   by U0LEAD2 at 2026-12-04 03:04:00Z: payments only");
    expect(text).toContain(
      "    … 5 earlier events left out: `drbot report failover-1204-0300-abcdef` has them all",
    );
  });
});

describe("drbot runs text", () => {
  it("gives each run its start, how long it took or has gone on, and its outcome, under a header", () => {
    const { run } = completedFailover();
    const active = runRecord({
      id: "drill-1204-0340-fedcba",
      kind: "drill",
      state: "running",
      requestedBy: "U0ONCALL1",
      createdAt: T0 + 40 * minute,
      updatedAt: T0 + 45 * minute,
    });
    const lines = runsText([active, run], T0 + 52 * minute).split("\n");
    expect(lines[0]).toMatch(/^RUN\s+OUTCOME\s+KIND\s+STARTED \(UTC\)\s+TOOK\s+SCOPE$/);
    expect(lines[1]).toMatch(
      /^drill-1204-0340-fedcba\s+running\s+drill\s+2026-12-04 03:40:00Z {2}for 12m\s+payments {2}by U0ONCALL1$/,
    );
    expect(lines[2]).toMatch(
      /^failover-1204-0300-abcdef\s+completed_with_exceptions\s+failover\s+2026-12-04 03:00:00Z {2}18m\s+payments,core-api {2}by U0ONCALL1$/,
    );
    expect(runsText([], T0)).toBe("no runs yet");
  });
});
