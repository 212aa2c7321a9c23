import { approvalsMissing, describeRpoRisk } from "../../domain/approval.js";
import { gateApprovals } from "../../domain/approval-gate.js";
import { formatMs } from "../../domain/duration.js";
import { type TierRpo, unknownReasons } from "../../domain/rpo.js";
import { measureRto } from "../../domain/rto.js";
import {
  isTerminal,
  type PlanStep,
  type RunRecord,
  type StepRecord,
  type StepStatus,
} from "../../domain/run.js";
import {
  actions,
  type Block,
  button,
  clip,
  context,
  divider,
  escapeMrkdwn,
  fields,
  header,
  LIMITS,
  section,
  withinBlockBudget,
} from "./block-kit.js";

/** Pure views of a run: the approval card, the live progress message, step replies and the summary. */

export const ACTION = {
  approve: "dr:approve",
  reject: "dr:reject",
  tick: "dr:tick",
  gate: "dr:gate",
  resume: "dr:resume",
  skip: "dr:skip",
  abort: "dr:abort",
} as const;

const ICON: Record<StepStatus, string> = {
  not_started: "◻️",
  running: "🔄",
  waiting: "⏸️",
  succeeded: "✅",
  failed: "❌",
  timed_out: "⏱️",
  skipped: "⏭️",
};

const KIND_TITLE: Record<RunRecord["kind"], string> = {
  failover: "Failover",
  failback: "Failback",
  drill: "DR drill",
  verify: "Backup verification",
};

export interface View {
  text: string;
  blocks: Block[];
}

const user = (id: string) => (/^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : escapeMrkdwn(id));
const slackDate = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
/** To the second, in the reader's time zone: when each person decided is part of the record. */
const slackTime = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

/** Who approved and when, one approver a line. */
function approvalLines(approvals: RunRecord["approvals"]): string {
  return approvals
    .map(
      (a) =>
        `• ${user(a.userId)} at ${slackTime(a.at)}${a.acceptedDataLoss ? " (accepted the data loss)" : ""}`,
    )
    .join("\n");
}

export function exposureText(exposure: TierRpo | undefined): string {
  if (!exposure) return "no data sources protect this scope";
  if (!Number.isFinite(exposure.effectiveMs)) {
    const why = unknownReasons(exposure)
      .slice(0, 5)
      .map((r) => `${r.source}: ${clip(r.detail, 200)}`)
      .join("; ");
    return `*unknown* (${escapeMrkdwn(why)}): treat as worst case; target ${formatMs(exposure.targetMs)}`;
  }
  const verdict =
    exposure.effectiveMs > exposure.targetMs
      ? `:warning: *exceeds the ${exposure.tier} RPO of ${formatMs(exposure.targetMs)}*`
      : `within ${formatMs(exposure.targetMs)}`;
  return `${formatMs(exposure.effectiveMs)} of data at risk (${escapeMrkdwn(exposure.worstSource ?? "?")}), ${verdict}`;
}

export function approvalCard(run: RunRecord, now: number, exposure?: TierRpo): View {
  const title = `${KIND_TITLE[run.kind]} requested: ${run.scope.applications.join(", ")} (${run.scope.fromSite} → ${run.scope.toSite})`;
  const blocks: Block[] = [
    header(title),
    fields([
      `*Requested by*\n${user(run.requestedBy)}`,
      `*Reason*\n${escapeMrkdwn(run.reason || "(none given)")}`,
      `*Mode*\n${run.mode === "drill" ? "drill" : "real (changes production)"}`,
      `*Targets*\nRTO ${formatMs(run.tierRtoMs)} · RPO ${formatMs(run.tierRpoMs)}`,
      `*Data at risk now*\n${exposure ? exposureText(exposure) : run.rpoExposureMs !== undefined ? formatMs(run.rpoExposureMs) : "not measured"}`,
      `*Approvals*\n${run.approvals.length}/${run.requiredApprovals}${run.approvals.length ? `\n${approvalLines(run.approvals)}` : ""}`,
      `*Expires*\n${slackDate(run.expiresAt)}`,
      `*Plan*\n\`${run.plan.hash}\` · ${run.plan.steps.length} steps`,
    ]),
    section(planLines(run.plan.steps)),
  ];
  if (run.rpoRisk)
    blocks.splice(
      2,
      0,
      section(
        `:rotating_light: *This failover loses data.* It would lose ${escapeMrkdwn(describeRpoRisk(run.rpoRisk))}. Each approver must accept that loss explicitly.`,
      ),
    );
  if (run.restorePoints?.length) blocks.push(section(restorePointLines(run, now)));
  if (Object.keys(run.plan.pins).length > 0)
    blocks.push(
      context([
        `Pinned: ${Object.entries(run.plan.pins)
          .map(([k, v]) => `${escapeMrkdwn(k)}=${escapeMrkdwn(v)}`)
          .join(" · ")}`,
      ]),
    );
  const tail: Block[] = [];
  if (run.state === "pending_approval" && now < run.expiresAt) {
    tail.push(
      actions(`approval:${run.id}`, [
        run.rpoRisk
          ? button(
              "Approve, accepting data loss",
              ACTION.approve,
              `${run.id}|${run.plan.hash}|accept-data-loss`,
              {
                style: "danger",
                confirm: {
                  title: "Accept the data loss?",
                  text: `This ${KIND_TITLE[run.kind].toLowerCase()} would lose ${describeRpoRisk(run.rpoRisk)}. You approve plan \`${run.plan.hash}\` and accept that loss. ${approvalsMissing(run)} approval(s) still needed.`,
                  confirm: "Approve and accept",
                },
              },
            )
          : button("Approve", ACTION.approve, `${run.id}|${run.plan.hash}`, {
              style: "primary",
              confirm: {
                title: "Approve this plan?",
                text: `You approve plan \`${run.plan.hash}\`: ${KIND_TITLE[run.kind].toLowerCase()} of ${run.scope.applications.join(", ")} to ${run.scope.toSite}. ${approvalsMissing(run)} approval(s) still needed.`,
                confirm: "Approve",
              },
            }),
        button("Reject", ACTION.reject, run.id, {
          style: "danger",
          confirm: {
            title: "Reject this request?",
            text: "The request ends; someone must ask again.",
            confirm: "Reject",
          },
        }),
      ]),
    );
  } else {
    tail.push(context([decisionLine(run)]));
  }
  return {
    text: clip(`${title}: ${run.approvals.length}/${run.requiredApprovals} approvals`, LIMITS.messageText),
    blocks: withinBlockBudget(blocks, tail),
  };
}

/** Recent backups per schedule, newest first, with the one this plan restores marked. */
function restorePointLines(run: RunRecord, now: number): string {
  const pinned = run.plan.pins.backup;
  const lines = ["*Restore points* (newest first; `/dr failover … --backup NAME` picks another)"];
  for (const entry of run.restorePoints ?? []) {
    if (entry.detail) {
      lines.push(`${escapeMrkdwn(entry.schedule)}: ${escapeMrkdwn(entry.detail)}`);
      continue;
    }
    if (entry.backups.length === 0) {
      lines.push(`${escapeMrkdwn(entry.schedule)}: :warning: no backup at all`);
      continue;
    }
    const chosen = pinned ?? entry.backups.find((b) => b.good)?.name;
    for (const b of entry.backups)
      lines.push(
        `${b.name === chosen ? "➡️" : b.good ? "▫️" : "✖️"} \`${escapeMrkdwn(b.name)}\` ${slackDate(b.dataAt)} (${formatMs(now - b.dataAt)} ago) ${escapeMrkdwn(b.phase)}${b.good ? "" : ", not usable"}${b.name === chosen ? (pinned ? " *← pinned*" : " *← will be restored*") : ""}`,
      );
  }
  return clip(lines.join("\n"), LIMITS.sectionText);
}

function decisionLine(run: RunRecord): string {
  switch (run.state) {
    case "pending_approval":
      return `Expired at ${slackDate(run.expiresAt)}`;
    case "rejected":
    case "expired":
    case "aborted":
      return `*${run.state}*${run.stateReason ? `: ${escapeMrkdwn(run.stateReason)}` : ""}`;
    default:
      return `*Approved* by ${run.approvals.map((a) => `${user(a.userId)} at ${slackTime(a.at)}`).join(", ")}; the run is ${run.state.replace(/_/g, " ")}`;
  }
}

function planLines(steps: readonly PlanStep[]): string {
  const lines: string[] = [];
  let used = 0;
  for (const [i, step] of steps.entries()) {
    const line = `${i + 1}. *${escapeMrkdwn(clip(step.title, 80))}*: ${escapeMrkdwn(clip(step.summary, 140))}`;
    if (used + line.length + 60 > LIMITS.sectionText) {
      lines.push(`… and ${steps.length - i} more step(s); \`/dr show\` lists them all`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join("\n") || "(no steps)";
}

export function progressMessage(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): View {
  const rto = measureRto(run.rto, run.tierRtoMs, now);
  const current = run.plan.steps.filter((s) => steps.get(s.id)?.status === "running").map((s) => s.title);
  const counts = countStatuses(run, steps);
  const title = `${KIND_TITLE[run.kind]} ${run.id}: ${run.state.replace(/_/g, " ")}`;
  const blocks: Block[] = [
    header(title),
    fields([
      `*Scope*\n${run.scope.applications.join(", ")} (${run.scope.fromSite} → ${run.scope.toSite})`,
      `*Elapsed*\n${formatMs(rto.totalMs)} of RTO ${formatMs(rto.targetMs)}${rto.finished ? (rto.met ? " ✅ met" : " ❌ missed") : ` · ${formatMs(Math.max(0, rto.remainingMs))} left`}`,
      `*Steps*\n${counts}`,
      `*Now*\n${current.length ? escapeMrkdwn(clip(current.join(", "), 300)) : run.stateReason ? escapeMrkdwn(clip(run.stateReason, 300)) : "—"}`,
    ]),
  ];
  for (const phase of phasesOf(run)) {
    blocks.push(section(phaseLines(phase.name, phase.steps, steps)));
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
    tail.push(section(`:double_vertical_bar: *Paused*: ${escapeMrkdwn(clip(run.stateReason ?? "", 1000))}`));
    tail.push(
      actions(`paused:${run.id}`, [
        button("Resume", ACTION.resume, run.id, {
          style: "primary",
          confirm: { title: "Resume the run?", text: "Failed steps run again.", confirm: "Resume" },
        }),
        ...(failing
          ? [
              button(`Skip ${failing.id}`, ACTION.skip, `${run.id}|${failing.id}`, {
                confirm: {
                  title: "Skip this step?",
                  text: `The run goes on without ${failing.id}.`,
                  confirm: "Skip",
                },
              }),
            ]
          : []),
        button("Abort", ACTION.abort, run.id, {
          style: "danger",
          confirm: {
            title: "Abort the run?",
            text: "In-flight steps are cancelled; nothing else runs.",
            confirm: "Abort",
          },
        }),
      ]),
    );
  } else if (!isTerminal(run.state)) {
    tail.push(
      actions(`running:${run.id}`, [
        button("Abort", ACTION.abort, run.id, {
          style: "danger",
          confirm: {
            title: "Abort the run?",
            text: "In-flight steps are cancelled; nothing else runs.",
            confirm: "Abort",
          },
        }),
      ]),
    );
  } else {
    tail.push(...summaryBlocks(run, steps, now));
  }
  return {
    text: clip(`${title} (${counts})`, LIMITS.messageText),
    blocks: withinBlockBudget(blocks, tail.slice(-12)),
  };
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
  const lines = items.map((item) => {
    const tick = ticked.find((a) => a.item === item);
    return tick ? `✅ ${escapeMrkdwn(item)}: ${user(tick.userId)}` : `⬜ ${escapeMrkdwn(item)}`;
  });
  const open = items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => !ticked.some((a) => a.item === item));
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
function phaseLines(phase: string, planSteps: PlanStep[], steps: ReadonlyMap<string, StepRecord>): string {
  const line = (s: PlanStep) => {
    const r = steps.get(s.id);
    const status = r?.status ?? "not_started";
    const took = r?.startedAt && r.endedAt ? ` ${formatMs(r.endedAt - r.startedAt)}` : "";
    const retry = r && r.attempts > 1 ? ` (attempt ${r.attempts})` : "";
    return `${ICON[status]} ${escapeMrkdwn(clip(s.title, 90))}${took}${retry}`;
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
  const summary = [...byStatus.entries()].map(([st, n]) => `${ICON[st as StepStatus]} ${n}`).join("  ");
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

export function summaryBlocks(run: RunRecord, steps: ReadonlyMap<string, StepRecord>, now: number): Block[] {
  const rto = measureRto(run.rto, run.tierRtoMs, now);
  const failures = run.plan.steps.filter((s) =>
    ["failed", "timed_out"].includes(steps.get(s.id)?.status ?? ""),
  );
  return [
    divider(),
    section(
      `*Summary*: ${run.state.replace(/_/g, " ")}${run.stateReason ? ` (${escapeMrkdwn(clip(run.stateReason, 500))})` : ""}`,
    ),
    fields([
      `*Detection*\n${formatMs(rto.detectionMs)}`,
      `*Decision*\n${rto.decisionMs !== undefined ? formatMs(rto.decisionMs) : "—"}`,
      `*Activation*\n${rto.activationMs !== undefined ? formatMs(rto.activationMs) : "—"}`,
      `*Validation*\n${rto.validationMs !== undefined ? formatMs(rto.validationMs) : "—"}`,
      `*RTO*\n${formatMs(rto.totalMs)} against ${formatMs(rto.targetMs)}${rto.met === undefined ? "" : rto.met ? " ✅" : " ❌"}`,
      `*Approved by*\n${approvalLines(run.approvals) || "—"}`,
    ]),
    context([
      failures.length ? `Failed: ${failures.map((f) => escapeMrkdwn(f.id)).join(", ")}` : "No failed steps",
      `Report: \`/dr report ${run.id}\``,
    ]),
  ];
}

/** One thread reply per finished step: status, duration, output (already redacted and truncated). */
export function stepReply(step: PlanStep, record: StepRecord): View {
  const took = record.startedAt && record.endedAt ? ` in ${formatMs(record.endedAt - record.startedAt)}` : "";
  const head = `${ICON[record.status]} *${escapeMrkdwn(step.title)}* ${record.status.replace(/_/g, " ")}${took}${record.attempts > 1 ? ` (attempt ${record.attempts})` : ""}${record.resolvedBy === "observed" ? " (observed after a takeover)" : ""}`;
  const body = [
    record.error ? `*Error*: ${escapeMrkdwn(clip(record.error, 800))}` : "",
    record.output ? `\`\`\`${clip(record.output.replace(/```/g, "'''"), 2400)}\`\`\`` : "",
  ]
    .filter(Boolean)
    .join("\n");
  return {
    text: clip(`${step.title}: ${record.status}`, LIMITS.messageText),
    blocks: [section(head), ...(body ? [section(body)] : [])],
  };
}
