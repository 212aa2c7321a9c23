import { createHash } from "node:crypto";
import { canonicalJson } from "../plan-hash.js";
import type { RunRecord } from "../run.js";
import type { KeptRound } from "./kept-round.js";
import { openFindings, type ReadinessCheck, type ReadinessVerdict, worstVerdict } from "./readiness.js";

/**
 * A run's scope as the kept readiness round had it when the run was requested (and again at its last
 * approval): what the approval card lists above the buttons. A real failover or failback of a scope
 * that is not ready needs the same explicit acceptance as a data loss: each approver's proof names
 * this reading by its key, the engine checks it before it executes, and a worse reading at the last
 * approval voids the approvals (src/domain/run-state/decide.ts).
 */
export type RunReadiness =
  | {
      read: true;
      /** The worst verdict of the scope's applications. */
      verdict: ReadinessVerdict;
      /** When the round was read on the sites (not when the run read it). */
      readAt: number;
      /** The open findings, worst first, capped; `omitted` counts the rest. */
      findings: RunFinding[];
      omitted: number;
      /** How many of the scope's findings are `not_ready` (listed or not). */
      notReady: number;
    }
  | { read: false; detail: string };

export interface RunFinding {
  application: string;
  check: ReadinessCheck;
  verdict: ReadinessVerdict;
  summary: string;
  action?: string;
}

/** Findings a run keeps (and its card lists): the worst ones, enough to decide on, within Block Kit's limits. */
export const RUN_FINDINGS_KEPT = 8;
const SUMMARY_MAX = 200;

/** The scope's readiness from a kept round; the applications the round does not know count as unknown. */
export function runReadiness(kept: KeptRound, applications: readonly string[]): RunReadiness {
  if (kept.state === "not_assessed") return { read: false, detail: "not yet assessed" };
  if (kept.state === "unread") return { read: false, detail: kept.detail };
  const report = kept.report;
  const known = new Set(report.applications.map((a) => a.application));
  const missing = applications.filter((a) => !known.has(a));
  const open = openFindings(report, applications);
  const findings: RunFinding[] = [
    ...open.map((f) => ({
      application: f.application,
      check: f.check,
      verdict: f.verdict,
      summary: clipText(f.summary),
      ...(f.action ? { action: clipText(f.action) } : {}),
    })),
  ];
  const verdict = worstVerdict([
    ...report.applications.filter((a) => applications.includes(a.application)).map((a) => a.verdict),
    ...(missing.length > 0 ? (["unknown"] as const) : []),
  ]);
  return {
    read: true,
    verdict,
    readAt: report.readAt,
    findings: findings.slice(0, RUN_FINDINGS_KEPT),
    omitted: Math.max(0, findings.length - RUN_FINDINGS_KEPT),
    notReady: findings.filter((f) => f.verdict === "not_ready").length,
  };
}

/** Whether approving the run needs each approver's explicit acceptance of a not-ready scope. */
export function needsReadinessAcceptance(run: Pick<RunRecord, "kind" | "mode" | "readiness">): boolean {
  return (
    run.mode === "real" &&
    (run.kind === "failover" || run.kind === "failback") &&
    run.readiness?.read === true &&
    run.readiness.verdict === "not_ready"
  );
}

/** A short name for one reading, carried by the approver's click or signature (like dataLossKey). */
export function readinessKey(readiness: RunReadiness): string {
  return createHash("sha256").update(canonicalJson(readiness)).digest("hex").slice(0, 16);
}

/**
 * Why `fresh` (read at the last approval) is worse than what approvers accepted, or undefined. Worse
 * means not ready where it was not, or more not-ready findings, or one on an application and check
 * nobody accepted. Another round alone is not worse: the same findings read later are what was accepted.
 */
export function readinessWorsened(
  accepted: RunReadiness | undefined,
  fresh: RunReadiness | undefined,
): string | undefined {
  if (!fresh?.read || fresh.verdict !== "not_ready") return undefined;
  const was = accepted?.read === true && accepted.verdict === "not_ready" ? accepted : undefined;
  if (!was) return `the scope is now not ready (${describeNotReady(fresh)}) and nobody accepted that`;
  const seen = new Set(was.findings.filter((f) => f.verdict === "not_ready").map(pairOf));
  const added = fresh.findings.filter((f) => f.verdict === "not_ready" && !seen.has(pairOf(f)));
  if (added.length > 0 || fresh.notReady > was.notReady)
    return `more of the scope is not ready now (${describeNotReady(fresh)})`;
  return undefined;
}

/** "payments drift: image …" for the first not-ready finding, and how many more. */
export function describeNotReady(readiness: RunReadiness): string {
  if (!readiness.read) return `readiness ${readiness.detail}`;
  const [first] = readiness.findings.filter((f) => f.verdict === "not_ready");
  if (!first) return "no finding is not ready";
  const more = readiness.notReady - 1;
  return `${first.application} ${first.check}: ${first.summary}${more > 0 ? `, and ${more} more not ready` : ""}`;
}

const pairOf = (f: RunFinding) => `${f.application}/${f.check}`;

function clipText(text: string): string {
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}
