import { gateApprovals } from "../../domain/approval-gate.js";
import { formatMs } from "../../domain/duration.js";
import { describeOverrun, measureRun } from "../../domain/rto-budgets.js";
import {
  isTerminal,
  type PlanStep,
  type RunRecord,
  type StepRecord,
  type StepStatus,
} from "../../domain/run.js";
import { runEffects, runStarted, undoable } from "../../domain/run-effects.js";
import {
  actions,
  type Block,
  button,
  clip,
  escapeMrkdwn,
  fields,
  header,
  LIMITS,
  section,
  type View,
  withinBlockBudget,
} from "./block-kit.js";
import { summaryBlocks, whatChanged } from "./run-summary.js";
import { ACTION, clockAt, KIND_TITLE, STEP_ICON, said, slackTime, user } from "./run-view-parts.js";

/**
 * The live progress message, edited in place: the RTO clock, each phase's steps with their status,
 * the checklist or gate waiting for a person, the controls of a paused run, and the summary at the end.
 */

export function progressMessage(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): View {
  const rto = measureRun(run, steps, clockAt(run, now));
  // A run that ended has nothing under way: its reason says where it stopped.
  const current = isTerminal(run.state)
    ? []
    : run.plan.steps.filter((s) => steps.get(s.id)?.status === "running").map((s) => s.title);
  const counts = countStatuses(run, steps);
  const title = `${KIND_TITLE[run.kind]} ${run.id}: ${run.state.replace(/_/g, " ")}`;
  const blocks: Block[] = [
    header(title),
    fields([
      `*Scope*\n${run.scope.applications.join(", ")} (${run.scope.fromSite} → ${run.scope.toSite})`,
      `*Elapsed*\n${elapsed(run, steps, rto)}`,
      `*Steps*\n${counts}`,
      `*Now*\n${current.length ? escapeMrkdwn(clip(current.join(", "), 300)) : run.stateReason ? said(run, clip(run.stateReason, 300)) : "—"}`,
    ]),
  ];
  const budgetLine = [
    ...(rto.overruns.length > 0
      ? [`:warning: *Over budget*: ${rto.overruns.map(describeOverrun).join("; ")}`]
      : []),
    ...(rto.waitingMs > 0
      ? [`:hourglass: Waiting for people ${formatMs(rto.waitingMs)} (apart from activation)`]
      : []),
  ];
  if (budgetLine.length > 0) blocks.push(section(budgetLine.join("\n")));
  for (const phase of phasesOf(run)) {
    blocks.push(section(phaseLines(phase.name, phase.steps, steps, isTerminal(run.state))));
  }
  const tail: Block[] = [];
  for (const step of run.plan.steps) {
    const record = steps.get(step.id);
    if (record?.status === "waiting" && !isTerminal(run.state))
      tail.push(...manualControls(run, step, record));
  }
  if (run.state === "paused_failed_step" || run.state === "paused_by_operator") {
    const failing = run.plan.steps.find((s) =>
      ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
    );
    tail.push(section(`:double_vertical_bar: *Paused*: ${said(run, clip(run.stateReason ?? "", 1000))}`));
    tail.push(whatChanged(run, steps));
    // A skip is a decision with a reason, by an approver other than the requester: typed, not clicked.
    if (failing)
      tail.push(
        section(
          `To go on without ${escapeMrkdwn(failing.id)}: \`/dr skip ${run.id} ${escapeMrkdwn(failing.id)} --reason "…"\` (an approver other than the requester)`,
        ),
      );
    tail.push(
      actions(`paused:${run.id}`, [
        button("Resume", ACTION.resume, run.id, {
          style: "primary",
          confirm: { title: "Resume the run?", text: "Failed steps run again.", confirm: "Resume" },
        }),
        abortButton(run, steps),
      ]),
    );
  } else if (!isTerminal(run.state)) {
    tail.push(actions(`running:${run.id}`, [abortButton(run, steps)]));
  } else {
    tail.push(...summaryBlocks(run, steps, now));
  }
  return {
    text: clip(`${title} (${counts})`, LIMITS.messageText),
    blocks: withinBlockBudget(blocks, tail.slice(-12)),
  };
}

/** The RTO clock against the target: time left while the run goes on, met or missed once it finished. */
function elapsed(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, rto: ReturnType<typeof measureRun>) {
  if (isTerminal(run.state) && !runStarted(steps)) return "— (no step ran)";
  const against = `${formatMs(rto.totalMs)} of RTO ${formatMs(rto.targetMs)}`;
  if (rto.finished) return `${against}${rto.met ? " ✅ met" : " ❌ missed"}`;
  if (isTerminal(run.state)) return `${against} · stopped`;
  return `${against} · ${formatMs(Math.max(0, rto.remainingMs))} left`;
}

/**
 * Abort stops the run at once and takes back what it changed where the runbook has an undo: the
 * button says so, and is the way to undo a paused run's changes (the same operator rights as
 * /dr abort; no other path undoes).
 */
function abortButton(run: RunRecord, steps: ReadonlyMap<string, StepRecord>) {
  const toUndo = undoable(runEffects(run, steps)).length;
  return button(toUndo > 0 ? "Abort and undo" : "Abort", ACTION.abort, run.id, {
    style: "danger",
    confirm: {
      title: "Abort the run?",
      text:
        toUndo > 0
          ? `In-flight steps are cancelled, nothing else runs, and the undo of ${toUndo} change(s) runs (see What changed).`
          : "In-flight steps are cancelled, nothing else runs, and each step started so far is undone where the runbook has an undo.",
      confirm: "Abort",
    },
  });
}

function manualControls(run: RunRecord, step: PlanStep, record: StepRecord): Block[] {
  if (step.kind === "approval") {
    // Counted as the gate counts them: distinct people other than the requester.
    const given = gateApprovals(record.attestations ?? [], run.requestedBy);
    return [
      section(
        `:raised_hand: *${escapeMrkdwn(step.title)}*: ${escapeMrkdwn(String(step.params.prompt ?? "approval needed"))}\n${given.length}/${Number(step.params.required ?? 1)} approvals${given.length ? `\n${given.map((a) => `• ${user(a.userId)} at ${slackTime(a.at)}`).join("\n")}` : ""}`,
      ),
      actions(`gate:${run.id}:${step.id}`, [
        button("Approve", ACTION.gate, `${run.id}|${step.id}`, {
          style: "primary",
          confirm: {
            title: "Approve this gate?",
            text: "The run goes on past this point.",
            confirm: "Approve",
          },
        }),
      ]),
    ];
  }
  const items = (step.params.items as string[] | undefined) ?? [];
  const ticked = record.attestations ?? [];
  const open = items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => !ticked.some((a) => a.item === item));
  // Each item is shown once: a ticked one as a line with who ticked it, an open one as its button.
  // An open item too long for a button's text is written out in full above the buttons too.
  const lines = items.flatMap((item) => {
    const tick = ticked.find((a) => a.item === item);
    if (tick) return [`✅ ${escapeMrkdwn(item)}: ${user(tick.userId)}`];
    return item.length > LIMITS.buttonText - 2 ? [`⬜ ${escapeMrkdwn(item)}`] : [];
  });
  if (open.length > 0) lines.push(`_Tick each item below once it is done (${open.length} open)._`);
  return [
    section(`:clipboard: *${escapeMrkdwn(step.title)}*\n${lines.join("\n")}`),
    ...(open.length
      ? [
          actions(
            `check:${run.id}:${step.id}`,
            open.map(({ item, index }) =>
              button(`☐ ${item}`, `${ACTION.tick}:${index}`, `${run.id}|${step.id}|${index}`),
            ),
          ),
        ]
      : []),
  ];
}

function phasesOf(run: RunRecord): { name: string; steps: PlanStep[] }[] {
  const phases: { name: string; steps: PlanStep[] }[] = [];
  for (const step of run.plan.steps) {
    const last = phases.at(-1);
    if (last && last.name === step.phase) last.steps.push(step);
    else phases.push({ name: step.phase, steps: [step] });
  }
  return phases;
}

/** One phase's lines; a phase too long for a section shows the steps that matter and counts the rest. */
function phaseLines(
  phase: string,
  planSteps: PlanStep[],
  steps: ReadonlyMap<string, StepRecord>,
  ended: boolean,
): string {
  const line = (s: PlanStep) => {
    const r = steps.get(s.id);
    const status = r?.status ?? "not_started";
    // A run that ended leaves nothing running or waiting: such a step was stopped by the ending.
    const stopped = ended && (status === "running" || status === "waiting");
    const took = r?.startedAt && r.endedAt ? ` ${formatMs(r.endedAt - r.startedAt)}` : "";
    const retry = r && r.attempts > 1 ? ` (attempt ${r.attempts})` : "";
    const decided = r?.outcome !== undefined ? `: ${escapeMrkdwn(clip(r.outcome, 40))}` : "";
    const notTaken = r?.skipReason ? ` _(skipped: ${escapeMrkdwn(clip(r.skipReason, 120))})_` : "";
    const skipped = r?.skipped
      ? ` skipped by ${user(r.skipped.by)}: ${escapeMrkdwn(clip(r.skipped.reason, 120))}`
      : "";
    const undone = r?.undone ? " ↩️ undone" : r?.undoWithheld ? " ⛔ kept (past its point of no return)" : "";
    const icon = stopped ? "⏹️" : STEP_ICON[status];
    const cut = stopped ? " _(stopped when the run ended)_" : "";
    return `${icon} ${escapeMrkdwn(clip(s.title, 90))}${decided}${took}${retry}${notTaken}${skipped}${cut}${undone}`;
  };
  const all = [`*${escapeMrkdwn(phase)}*`, ...planSteps.map(line)].join("\n");
  if (all.length <= LIMITS.sectionText) return all;
  const notable = planSteps.filter(
    (s) => !["succeeded", "not_started"].includes(steps.get(s.id)?.status ?? "not_started"),
  );
  const byStatus = new Map<string, number>();
  for (const s of planSteps)
    byStatus.set(
      steps.get(s.id)?.status ?? "not_started",
      (byStatus.get(steps.get(s.id)?.status ?? "not_started") ?? 0) + 1,
    );
  const summary = [...byStatus.entries()].map(([st, n]) => `${STEP_ICON[st as StepStatus]} ${n}`).join("  ");
  const shown: string[] = [];
  let used = phase.length + summary.length + 80;
  for (const s of notable) {
    const l = line(s);
    if (used + l.length > LIMITS.sectionText - 60) break;
    shown.push(l);
    used += l.length + 1;
  }
  const hidden = notable.length - shown.length;
  return [
    `*${escapeMrkdwn(phase)}* (${planSteps.length} steps) ${summary}`,
    ...shown,
    ...(hidden > 0 ? [`… ${hidden} more`] : []),
  ].join("\n");
}

function countStatuses(run: RunRecord, steps: ReadonlyMap<string, StepRecord>): string {
  const done = run.plan.steps.filter((s) =>
    ["succeeded", "skipped"].includes(steps.get(s.id)?.status ?? ""),
  ).length;
  const failed = run.plan.steps.filter((s) =>
    ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
  ).length;
  return `${done}/${run.plan.steps.length} done${failed ? ` · ${failed} failed` : ""}`;
}
