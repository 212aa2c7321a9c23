import type { EvidenceVerdict } from "../domain/evidence/run-evidence.js";
import { planMatchesHash } from "../domain/plan-hash.js";
import { LEGACY_PLAN, reparsedStep } from "../domain/plan-params.js";
import type { PlanStep, RunRecord } from "../domain/run.js";
import { refuseUnproven } from "../domain/run-state/execute.js";
import { isTerminal } from "../domain/run-state/states.js";
import { scopeLockKeys } from "../domain/scope.js";
import type { RunExecution } from "./run-execution.js";

/**
 * What the engine asks before it executes anything of a run: whether the run, as stored, proves it
 * may execute (src/app/verified-evidence.ts checks its plan hash, the requester's and every
 * approver's proof, from the run and the configuration alone). The runtime always gives it.
 */
export interface RunEvidenceCheck {
  checkRun(run: RunRecord): Promise<EvidenceVerdict>;
}

export type EvidenceGate = "ok" | "refused" | "unverifiable";

/**
 * Checks the run as stored now, before the executor starts it and before every step it runs: a run
 * written into the store, or a step changed there after approval, never executes. The plan the
 * executor holds must be the stored, proven one. A run that fails is aborted with why and announced
 * in the incident channel as tampering; one this process cannot check (a Slack approval without the
 * signing secret) is left as it is, for a process that can.
 */
export async function checkEvidence(x: RunExecution, before: string): Promise<EvidenceGate> {
  const found = await judgeEvidence(x, before);
  if (!found) return "ok";
  x.evidenceRefusal = found;
  return found.problem === "unverifiable" ? "unverifiable" : "refused";
}

/**
 * The check before an undo or an `always` step, when the run ends early: a tampered run is refused
 * (nothing of its plan runs, its undo included); a run no longer approved enough (approvals older
 * than approvals.validFor, an approver removed) is still taken back, since its undo only reverses
 * what its approved plan did; one this process cannot check is left for a process that can.
 */
export async function checkBeforeUndo(
  x: RunExecution,
  before: string,
  what: "undo" | "always",
): Promise<"ok" | "refused" | "stopped"> {
  const found = await judgeEvidence(x, before);
  if (!found) return "ok";
  // An always step changes no site (or only takes away what the run made), checked on the stored
  // plan too; an undo changes sites, so it runs only for a plan genuine proofs approved.
  if (found.problem === "unapproved" && (what === "always" || found.vouched)) return "ok";
  if (found.problem === "unverifiable") return "stopped";
  x.evidenceRefusal = found;
  return "refused";
}

type Refusal = NonNullable<RunExecution["evidenceRefusal"]>;

/** What is wrong with the run as stored now, logged; undefined when it proves it may execute. */
async function judgeEvidence(x: RunExecution, before: string): Promise<Refusal | undefined> {
  const check = x.o.evidence;
  if (!check) return undefined;
  // Read while the lease holds, retried like the executor's other reads through a Redis failover.
  const stored = await x.lease.read(() => x.o.store.getRun(x.runId));
  if (!stored) return { problem: "unverifiable", reasons: ["the run is no longer in the store"] };
  const verdict = await check.checkRun(stored);
  const held = x.recorder.run.plan;
  const same = held.hash === stored.plan.hash && planMatchesHash(held);
  if (verdict.ok && same) return undefined;
  const problem = verdict.ok ? "tampered" : verdict.problem;
  const reasons = verdict.ok ? ["the plan being executed is not the stored, approved one"] : verdict.reasons;
  const vouched = !verdict.ok && verdict.vouched === true;
  const context = { operation: "engine.evidence", runId: x.runId, before, problem, reasons };
  if (problem === "unverifiable")
    x.o.log.warn("cannot check this run's evidence here; leaving it for a process that can", context);
  else x.o.log.error("refused to execute a run that does not prove it may", context);
  return { problem, reasons, ...(vouched ? { vouched } : {}) };
}

/**
 * The step as it is to run: its params (and its undo's) parsed again from the raw params the plan
 * keeps, with its kind's schema (src/domain/plan-params.ts), so a kind only ever gets what its
 * schema makes of what the runbook gave. Undefined, with the run refused, when they do not parse or
 * give other values than the stored ones (tampering), or when the plan kept none (planned by an
 * earlier drbot: refused as not approved as required, saying to request it again).
 */
export function checkedStep(x: RunExecution, step: PlanStep, before: string): PlanStep | undefined {
  const checked = reparsedStep(step, x.o.registry, x.recorder.run.plan.pins);
  if (checked.ok) return checked.step;
  const refusal: Refusal = checked.legacy
    ? { problem: "unapproved", reasons: [LEGACY_PLAN] }
    : { problem: "tampered", reasons: [checked.reason] };
  x.o.log.error("refused to run a step whose parameters do not parse again to the stored ones", {
    operation: "engine.params",
    runId: x.runId,
    stepId: step.id,
    before,
    ...refusal,
  });
  x.evidenceRefusal ??= refusal;
  return undefined;
}

/** Marks a refused run aborted (frees its scope) and announces it; nothing of it runs any more. */
export async function refuseRun(x: RunExecution): Promise<void> {
  const refusal = x.evidenceRefusal;
  const problem = refusal?.problem;
  if (!refusal || problem === undefined || problem === "unverifiable") return;
  await x.recorder.load();
  await x.recorder.move((run, ctx) => refuseUnproven(run, { problem, reasons: refusal.reasons }, ctx));
  const run = x.recorder.run;
  if (isTerminal(run.state)) await x.o.store.releaseScope(scopeLockKeys(run.scope, run.kind), x.runId);
  const channel = x.o.config.slack.incidentChannels[0];
  const what = problem === "tampered" ? "*Tampering*" : "*Not approved as required*";
  const posted = await x.o.services.notify?.({
    runId: x.runId,
    level: "warning",
    text: `${what}: drbot refused to execute run \`${x.runId}\` (${run.kind} of ${run.scope.applications.join(", ")}, requested as <@${run.requestedBy}>) and aborted it: ${refusal.reasons.join("; ")}`,
    ...(channel ? { channel } : {}),
  });
  if (!posted)
    x.o.log.error("could not announce a refused run in the incident channel", {
      operation: "engine.evidence",
      runId: x.runId,
    });
}
