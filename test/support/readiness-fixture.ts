import {
  applicationReadiness,
  type ReadinessFinding,
  type ReadinessReport,
  tierReadiness,
} from "../../src/domain/readiness/readiness.js";
import type { ReadinessSource } from "../../src/ports/readiness.js";

/** The test configuration's tiers (test/support/config-fixture.ts), in their order. */
const TIERS = ["tier1", "tier3"];

export const driftFinding: ReadinessFinding = {
  check: "drift",
  verdict: "not_ready",
  summary: "image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
  evidence: [
    "- dc2 production/payments-api container api ghcr.io/acme/payments:1.4.1",
    "+ dc1 production/payments-api container api ghcr.io/acme/payments:1.4.2",
  ],
  action: "deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)",
};

export const overdueDrill: ReadinessFinding = {
  check: "drill",
  verdict: "degraded",
  summary: "the last successful drill of tier1 was 97d ago, the quarterly drill is overdue",
  evidence: ["drill-1001-0300-a1b2c3 succeeded 2024-10-05T03:40:00.000Z"],
  action: "schedule a drill of tier1: /dr drill tier1",
};

const ready = (check: ReadinessFinding["check"]): ReadinessFinding => ({
  check,
  verdict: "ready",
  summary: `${check} ok`,
  evidence: [],
});

/**
 * A kept round read at `readAt`: payments not ready (an image bumped on dc1 only), core-api
 * degraded (the tier's drill overdue), analytics ready. `findings` replaces payments' open ones.
 */
export function readinessRound(
  readAt: number,
  findings: { payments?: ReadinessFinding[]; coreApi?: ReadinessFinding[] } = {},
): ReadinessReport {
  const applications = [
    applicationReadiness("payments", "tier1", [...(findings.payments ?? [driftFinding]), ready("capacity")]),
    applicationReadiness("core-api", "tier1", [...(findings.coreApi ?? [overdueDrill]), ready("drift")]),
    applicationReadiness("analytics", "tier3", [ready("drift"), ready("data")]),
  ];
  return { readAt, tookMs: 1_200, applications, tiers: tierReadiness(TIERS, applications) };
}

/** A ReadinessSource holding the given round (changed with `keep`); `hang` makes it never answer. */
export class FixedReadiness implements ReadinessSource {
  constructor(private report: ReadinessReport | undefined) {}
  hang = false;
  reads = 0;

  keep(report: ReadinessReport | undefined): void {
    this.report = report;
  }

  latest(): Promise<ReadinessReport | undefined> {
    this.reads += 1;
    if (this.hang) return new Promise(() => {});
    return Promise.resolve(this.report);
  }
}
