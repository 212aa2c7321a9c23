import {
  applicationReadiness,
  type ReadinessFinding,
  type ReadinessReport,
  tierReadiness,
} from "./readiness.js";

/**
 * The round of a check set that gave no answer at all (it did not end within its deadline, or it
 * failed): every application `unknown`, saying why. Nothing read is made up: the round shows that
 * drbot does not know, which a reader must not take for ready.
 */
export function unreadRound(options: {
  tiers: readonly string[];
  applications: readonly { name: string; tier: string }[];
  readAt: number;
  tookMs: number;
  /** Why nothing was read: "the round did not end within its deadline (60 s)". */
  why: string;
}): ReadinessReport {
  const finding = (): ReadinessFinding => ({
    check: "drift",
    verdict: "unknown",
    summary: `not read: ${options.why}`,
    evidence: [],
    action:
      "look at drbot's log for the readiness round (operation readiness.round); the next round reads again",
  });
  const applications = options.applications.map((a) => applicationReadiness(a.name, a.tier, [finding()]));
  return {
    readAt: options.readAt,
    tookMs: options.tookMs,
    applications,
    tiers: tierReadiness(options.tiers, applications),
  };
}
