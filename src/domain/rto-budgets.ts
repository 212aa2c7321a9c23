import { z } from "zod";
import { durationSchema, formatMs } from "./duration.js";
import { measureRto, type RtoMeasurement } from "./rto.js";
import type { RunRecord, StepRecord } from "./run.js";

/**
 * RTO budgets per phase, as the strategy's RTO breakdown sets them: detection 15 minutes (the
 * monitoring alert), decision 30 (the incident team decides), activation 90 (the failover runs),
 * validation 45 (testing until healthy), 3 hours of a 4-hour target. A tier may set its own; the
 * report and the progress message compare each phase with its budget, so an overrun is seen in the
 * phase where it happens, not only in the total. Time spent waiting for people inside a run (a
 * checklist to tick, a gate to approve: a drill's pre-test checklist, say) is counted apart from
 * activation, which is the machine's part. Pure; time is passed in.
 */
export const RTO_BUDGET_PHASES = ["detection", "decision", "activation", "validation"] as const;
export type RtoBudgetPhase = (typeof RTO_BUDGET_PHASES)[number];
export type RtoBudgets = Record<RtoBudgetPhase, number>;

const MIN = 60_000;
export const STRATEGY_RTO_BUDGETS: RtoBudgets = {
  detection: 15 * MIN,
  decision: 30 * MIN,
  activation: 90 * MIN,
  validation: 45 * MIN,
};

export const rtoBudgetsSchema = z
  .object({
    detection: durationSchema.default(STRATEGY_RTO_BUDGETS.detection),
    decision: durationSchema.default(STRATEGY_RTO_BUDGETS.decision),
    activation: durationSchema.default(STRATEGY_RTO_BUDGETS.activation),
    validation: durationSchema.default(STRATEGY_RTO_BUDGETS.validation),
  })
  .strict()
  .prefault({})
  .describe(
    "each RTO phase's budget: detection (first failed check to the request, default 15m), decision (request to the last approval, 30m), activation (the run's activation steps, without time waiting for people, 90m), validation (checks until healthy, 45m)",
  );

/** The strictest budget of each phase among the tiers of a run's scope. */
export function strictestBudgets(tiers: readonly { budgets?: RtoBudgets | undefined }[]): RtoBudgets {
  const of = (phase: RtoBudgetPhase) =>
    Math.min(...tiers.map((t) => (t.budgets ?? STRATEGY_RTO_BUDGETS)[phase]));
  return tiers.length === 0
    ? STRATEGY_RTO_BUDGETS
    : {
        detection: of("detection"),
        decision: of("decision"),
        activation: of("activation"),
        validation: of("validation"),
      };
}

/** Step kinds that wait for people: their time is not the machine's activation. */
const WAITING_KINDS = new Set(["checklist", "approval"]);

/**
 * How long a run's activation steps waited for people while activation ran (until `now` for a
 * wait under way); 0 before activation starts.
 */
export function waitingForPeopleMs(
  run: Pick<RunRecord, "plan" | "rto">,
  steps: ReadonlyMap<string, StepRecord>,
  now: number,
): number {
  const from = run.rto.activationStartedAt;
  if (from === undefined) return 0;
  const to = run.rto.activationEndedAt ?? now;
  let total = 0;
  for (const step of run.plan.steps) {
    if (!WAITING_KINDS.has(step.kind) || step.rtoPhase !== "activation") continue;
    const record = steps.get(step.id);
    if (record?.startedAt === undefined) continue;
    total += Math.max(0, Math.min(record.endedAt ?? now, to) - Math.max(record.startedAt, from));
  }
  return total;
}

export interface PhaseUse {
  phase: RtoBudgetPhase;
  /** Undefined when the phase has not started. */
  ms: number | undefined;
  budgetMs: number;
  over: boolean;
}

export interface RunTiming extends RtoMeasurement {
  /** Activation without the time its steps waited for people. */
  activationMs: number | undefined;
  waitingMs: number;
  phases: PhaseUse[];
  /** The phases over their budget, in order. */
  overruns: PhaseUse[];
}

/** A run's RTO with each phase against its budget and the waiting for people apart. */
export function measureRun(
  run: Pick<RunRecord, "rto" | "tierRtoMs" | "tierRtoBudgets" | "plan">,
  steps: ReadonlyMap<string, StepRecord>,
  now: number,
): RunTiming {
  const rto = measureRto(run.rto, run.tierRtoMs, now);
  const budgets = run.tierRtoBudgets ?? STRATEGY_RTO_BUDGETS;
  const waitingMs = waitingForPeopleMs(run, steps, now);
  const activationMs = rto.activationMs === undefined ? undefined : Math.max(0, rto.activationMs - waitingMs);
  const spent: Record<RtoBudgetPhase, number | undefined> = {
    detection: run.rto.detectedAt === undefined ? undefined : rto.detectionMs,
    decision: rto.decisionMs,
    activation: activationMs,
    validation: rto.validationMs,
  };
  const phases = RTO_BUDGET_PHASES.map((phase) => {
    const ms = spent[phase];
    return { phase, ms, budgetMs: budgets[phase], over: ms !== undefined && ms > budgets[phase] };
  });
  return { ...rto, activationMs, waitingMs, phases, overruns: phases.filter((p) => p.over) };
}

/** "activation 1h 47m of its 1h 30m budget", for the progress message and the summary. */
export function describeOverrun(use: PhaseUse): string {
  return `${use.phase} ${formatMs(use.ms ?? 0)} of its ${formatMs(use.budgetMs)} budget`;
}

export interface BudgetFinding {
  path: (string | number)[];
  message: string;
}

/** `drbot validate`'s warning for a tier whose phase budgets add up to more than its RTO. */
export function checkRtoBudgets(
  tiers: readonly { name: string; rto: number; budgets: RtoBudgets }[],
): BudgetFinding[] {
  return tiers.flatMap((tier, index) => {
    const sum = RTO_BUDGET_PHASES.reduce((total, phase) => total + tier.budgets[phase], 0);
    if (sum <= tier.rto) return [];
    return [
      {
        path: ["tiers", index, "budgets"],
        message: `${tier.name}: its RTO phase budgets add up to ${formatMs(sum)}, more than its RTO of ${formatMs(tier.rto)}: a run could keep every phase within budget and still miss the RTO; set tiers[].budgets (detection, decision, activation, validation) to add up to at most ${formatMs(tier.rto)}`,
      },
    ];
  });
}
