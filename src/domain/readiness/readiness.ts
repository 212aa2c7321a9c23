/**
 * Readiness: would the DR site serve an application if it failed over now? One verdict per
 * application, made of one finding per check, each with its evidence and what to do about it.
 * Pure data: the checks that make findings live beside this file, the readings they judge come
 * from the adapters, and the watch leader runs a round at an interval (src/app).
 */

/** Worst first: `not_ready` outranks `unknown` (a check that could not read), which outranks `degraded`. */
export type ReadinessVerdict = "ready" | "degraded" | "unknown" | "not_ready";

export const READINESS_CHECKS = ["drift", "capacity", "data", "standby", "drill", "certificates"] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface ReadinessFinding {
  check: ReadinessCheck;
  verdict: ReadinessVerdict;
  /** One line a person reads first: "image api: ghcr.io/acme/api:1.4.2 on dc1, 1.4.1 on dc2". */
  summary: string;
  /** What was read, as short lines (a diff, ages, counts). Never a Secret's value or a credential. */
  evidence: string[];
  /** What to do about it, when the verdict is not `ready`. */
  action?: string;
}

export interface ApplicationReadiness {
  application: string;
  tier: string;
  /** The worst of its findings' verdicts. */
  verdict: ReadinessVerdict;
  findings: ReadinessFinding[];
}

export interface TierReadiness {
  tier: string;
  verdict: ReadinessVerdict;
  applications: { application: string; verdict: ReadinessVerdict }[];
}

/** One readiness round: what status, cards, App Home, the CLI, metrics and reports show. */
export interface ReadinessReport {
  /** Epoch ms when the round started. */
  readAt: number;
  /** How long the round took. */
  tookMs: number;
  applications: ApplicationReadiness[];
  tiers: TierReadiness[];
}

const RANK: Record<ReadinessVerdict, number> = { ready: 0, degraded: 1, unknown: 2, not_ready: 3 };

/** The worst verdict of several; `ready` for none. */
export function worstVerdict(verdicts: Iterable<ReadinessVerdict>): ReadinessVerdict {
  let worst: ReadinessVerdict = "ready";
  for (const verdict of verdicts) if (RANK[verdict] > RANK[worst]) worst = verdict;
  return worst;
}

export function applicationReadiness(
  application: string,
  tier: string,
  findings: ReadinessFinding[],
): ApplicationReadiness {
  return { application, tier, verdict: worstVerdict(findings.map((f) => f.verdict)), findings };
}

/** Each tier's verdict is the worst of its applications', in the order the tiers are given. */
export function tierReadiness(
  tiers: readonly string[],
  applications: readonly ApplicationReadiness[],
): TierReadiness[] {
  return tiers.map((tier) => {
    const members = applications.filter((a) => a.tier === tier);
    return {
      tier,
      verdict: worstVerdict(members.map((a) => a.verdict)),
      applications: members.map((a) => ({ application: a.application, verdict: a.verdict })),
    };
  });
}

/** The findings of a scope's applications that are not `ready`, worst first. */
export function openFindings(
  report: ReadinessReport,
  applications: readonly string[],
): (ReadinessFinding & { application: string })[] {
  return report.applications
    .filter((a) => applications.includes(a.application))
    .flatMap((a) =>
      a.findings.filter((f) => f.verdict !== "ready").map((f) => ({ ...f, application: a.application })),
    )
    .sort((a, b) => RANK[b.verdict] - RANK[a.verdict]);
}
