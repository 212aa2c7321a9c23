import type { KeptRound } from "../domain/readiness/kept-round.js";
import { openFindings, worstVerdict } from "../domain/readiness/readiness.js";
import { findingLine, roundHeadline, VERDICT_WORDS } from "../domain/readiness/readiness-text.js";
import type { TierRpo } from "../domain/rpo.js";
import { sourceLine, sourcesByConcern, tierHeadline } from "../domain/rpo-text.js";
import type { Plan } from "../domain/run.js";
import type { ConfirmedKind } from "../domain/run-confirmation.js";

/** What a real failover or failback shows before its scope's name is typed: as the Slack modal does. */
export interface ConfirmRunText {
  kind: ConfirmedKind;
  reason: string;
  plan: Plan;
  /** The scope's worst tier; undefined when no source protects it; `unreadable` when not read. */
  exposure: TierRpo | undefined | { unreadable: string };
  /** The kept readiness round; undefined when this drbot reads no readiness. */
  readiness: KeptRound | undefined;
}

const PLAN_LINES = 15;
const FINDINGS = 6;

/** The plan summary, the data at risk and the readiness verdict with its open findings, in plain text. */
export function confirmRunText(input: ConfirmRunText): string {
  const { plan } = input;
  const scope = plan.scope;
  const steps = plan.steps.slice(0, PLAN_LINES).map((s, i) => `  ${i + 1}. ${oneLine(s.title)}`);
  const more = plan.steps.length > PLAN_LINES ? [`  … ${plan.steps.length - PLAN_LINES} more steps`] : [];
  const shared = scope.shared?.length
    ? [`Taken along: ${scope.shared.map((s) => s.applications.join(", ")).join("; ")}`]
    : [];
  return [
    `Real ${input.kind} of ${scope.applications.join(", ")} (${scope.fromSite} → ${scope.toSite}). This changes production: traffic moves once it is approved.`,
    `Reason: ${oneLine(input.reason)}`,
    ...shared,
    `Plan ${plan.hash.slice(0, 12)}, ${plan.steps.length} steps (drbot plan shows them in full):`,
    ...steps,
    ...more,
    ...dataAtRisk(input.exposure),
    ...readinessLines(input.readiness, scope.applications),
  ].join("\n");
}

function dataAtRisk(exposure: ConfirmRunText["exposure"]): string[] {
  if (!exposure) return ["Data at risk: no data sources protect this scope"];
  if ("unreadable" in exposure)
    return [`Data at risk: NOT KNOWN, could not be read (${oneLine(exposure.unreadable)})`];
  const concerns = sourcesByConcern(exposure).filter((s) => s.state === "late" || s.state === "unknown");
  return [
    `Data at risk: ${exposure.tier}: ${tierHeadline(exposure)}`,
    ...concerns.slice(0, 5).map((s) => `  ${oneLine(sourceLine(s))}`),
  ];
}

function readinessLines(kept: KeptRound | undefined, applications: readonly string[]): string[] {
  if (!kept) return ["Readiness: not assessed by this drbot: the DR site's readiness is not known"];
  if (kept.state !== "read")
    return [`Readiness: ${oneLine(roundHeadline(kept))}: the DR site's readiness is not known`];
  const mine = kept.report.applications.filter((a) => applications.includes(a.application));
  const verdict = worstVerdict(mine.map((a) => a.verdict));
  const findings = openFindings(kept.report, applications);
  const more = findings.length > FINDINGS ? [`  … ${findings.length - FINDINGS} more findings`] : [];
  return [
    `Readiness: ${VERDICT_WORDS[verdict]} (${oneLine(roundHeadline(kept))})`,
    ...findings
      .slice(0, FINDINGS)
      .map((f) => `  ${VERDICT_WORDS[f.verdict]}: ${f.application}: ${oneLine(findingLine(f))}`),
    ...more,
  ];
}

/** What a server or a person wrote, on one line: no control characters reach the terminal. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}
