import { formatMs } from "../../domain/duration.js";
import { namePeople, nameWithId, reportPeople } from "../../domain/people.js";
import type { WithReadiness } from "../../domain/readiness/scope-readiness.js";
import { UNDO_TEXT } from "../../domain/run-effects.js";
import type { RunReport } from "../../domain/run-report.js";
import { readinessMarkdown } from "./render-readiness-markdown.js";

/**
 * The report as Markdown, for the file posted to the channel and `drbot report`. Everything a person
 * typed (reasons, notes) or a step printed is escaped for table cells or fenced, so it renders as text.
 */
const OUTPUT_MAX = 4_000;

export function renderReportMarkdown(report: WithReadiness<RunReport>): string {
  const r = report.run;
  // People by display name with their ID beside it (the audit's key), where the directory named them.
  const names = new Map(Object.entries(report.people ?? {}));
  const ids = reportPeople(report);
  const who = (id: string) => cell(nameWithId(names, id));
  const said = (text: string) => cell(namePeople(text, ids, (id) => nameWithId(names, id)));
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  line(`# ${cell(r.title)}: ${r.id}`);
  line();
  line(`**${cell(report.outcome)}**`);
  line();
  line("| | |");
  line("|---|---|");
  line(`| Kind | ${r.kind} (${r.mode}) |`);
  line(`| Runbook | ${cell(r.runbook)} |`);
  line(`| Scope | ${cell(r.scopeText)} |`);
  line(`| State | ${r.state.replace(/_/g, " ")}${r.stateReason ? `: ${said(r.stateReason)}` : ""} |`);
  line(`| Requested by | ${who(r.requestedBy)} via ${cell(r.source)} at ${iso(r.createdAt)} |`);
  line(`| Reason | ${cell(r.reason || "(none given)")} |`);
  line(`| Plan | \`${cell(r.planHash)}\` |`);
  if (report.effects && r.state !== "completed") {
    line();
    line("## What changed");
    line();
    if (report.effects.length === 0) line("Nothing: no step that changes a site had started.");
    for (const e of report.effects)
      line(
        `- ${cell(e.effect)}: ${cell(e.title)} (\`${e.stepId}\`)${e.status === "succeeded" ? "" : ` (${e.status.replace(/_/g, " ")}, may be partial)`}: ${UNDO_TEXT[e.undo]}`,
      );
  }
  line();
  line("## RTO");
  line();
  line(
    `Target ${formatMs(report.rto.targetMs)}; ${report.rto.finished ? `took ${formatMs(report.rto.totalMs)}: ${report.rto.met ? "met" : "**missed**"}` : `${formatMs(report.rto.totalMs)} so far, not finished`}.`,
  );
  line();
  line("| Phase | Duration | Phase budget | Share of the RTO |");
  line("|---|---|---|---|");
  for (const p of report.rto.phases)
    line(
      `| ${p.name} | ${p.ms === undefined ? "-" : formatMs(p.ms)} | ${formatMs(p.budgetMs)}${p.over ? ": **over**" : ""} | ${p.ms === undefined ? "-" : `${((p.ms / report.rto.targetMs) * 100).toFixed(2)}%`} |`,
    );
  if (report.rto.waitingMs > 0)
    line(
      `| waiting for people | ${formatMs(report.rto.waitingMs)} | (apart from activation) | ${((report.rto.waitingMs / report.rto.targetMs) * 100).toFixed(2)}% |`,
    );
  line(
    `| **total** | **${formatMs(report.rto.totalMs)}** | | ${((report.rto.totalMs / report.rto.targetMs) * 100).toFixed(2)}% |`,
  );
  const over = report.rto.phases.filter((p) => p.over);
  if (over.length > 0) {
    line();
    line(
      `Over budget: ${over.map((p) => `${p.name} took ${formatMs(p.ms ?? 0)} of its ${formatMs(p.budgetMs)}`).join("; ")}.`,
    );
  }
  if (report.rto.waitingMs > 0 && report.run.mode === "drill") {
    line();
    line(
      `The drill waited ${formatMs(report.rto.waitingMs)} for people during activation (its checklists and gates); without that wait a failover would have taken ${formatMs(Math.max(0, report.rto.totalMs - report.rto.waitingMs))}.`,
    );
  }
  line();
  line("## RPO");
  line();
  line(
    report.rpo.exposureMs === undefined
      ? `Data at risk when requested: unknown (target ${formatMs(report.rpo.targetMs)}).`
      : `Data at risk when requested: ${formatMs(report.rpo.exposureMs)} against a target of ${formatMs(report.rpo.targetMs)}: ${report.rpo.withinTarget ? "within target" : "**over target**"}.`,
  );
  line();
  line("## Approvals");
  line();
  line(`${report.approvals.received.length} of ${report.approvals.required} required.`);
  if (report.approvals.received.length > 0) {
    line();
    line("| Approver | At | After the request | Plan |");
    line("|---|---|---|---|");
    for (const a of report.approvals.received)
      line(`| ${who(a.userId)} | ${iso(a.at)} | ${formatMs(a.waitMs)} | \`${cell(a.planHash)}\` |`);
    const accepting = report.approvals.received.filter((a) => a.accepted?.length);
    if (accepting.length > 0) line();
    for (const a of accepting)
      line(`${who(a.userId)} accepted explicitly, with the approval: ${a.accepted?.join(" and ")}.`);
  }
  if (report.decisions.length > 0) {
    line();
    line("Decisions:");
    line();
    for (const d of report.decisions)
      line(`- ${iso(d.at)} ${who(d.userId)} ${d.decision}${d.note ? `: ${cell(d.note)}` : ""}`);
  }
  line();
  line("## Checklist attestations");
  line();
  if (report.attestations.length === 0) line("None.");
  else {
    line("| Step | Item | Ticked by | At |");
    line("|---|---|---|---|");
    for (const a of report.attestations)
      line(`| ${cell(a.stepTitle)} | ${cell(a.item)} | ${who(a.userId)} | ${iso(a.at)} |`);
  }
  if (report.traffic || report.fencing.unconfirmed.length > 0) {
    line();
    line("## Traffic and fencing");
    line();
    const t = report.traffic;
    if (t) {
      const target =
        t.targetMs !== undefined
          ? `, target one TTL ${formatMs(t.targetMs)}: ${t.met ? "met" : "MISSED"}`
          : "";
      line(
        `- No-ready-site window: ${formatMs(t.noReadySiteMs)} (${t.path ?? "path not decided"}${target}; DNS TTL ${t.ttlMs === undefined ? "not configured, cached answers not counted" : formatMs(t.ttlMs)})`,
      );
      for (const g of t.gaps)
        line(`  - ${cell(g.site)}: ${iso(g.from)} to ${iso(g.to)} (${formatMs(g.to - g.from)})`);
    }
    if (report.fencing.unconfirmed.length > 0)
      line(
        `- Fencing NOT confirmed (the site did not answer): ${report.fencing.unconfirmed.map(cell).join(", ")}`,
      );
  }
  line();
  line("## Steps");
  line();
  line("| Step | Phase | Kind | Status | Attempts | Started | Duration |");
  line("|---|---|---|---|---|---|---|");
  for (const s of report.steps)
    line(
      `| ${cell(s.title)} (\`${s.id}\`) | ${cell(s.phase)} | ${s.kind} | ${s.status.replace(/_/g, " ")}${s.resolvedBy === "observed" ? " (observed)" : ""}${s.outcome !== undefined ? `: ${cell(s.outcome)}` : ""}${s.skipReason ? ` (${cell(s.skipReason)})` : ""}${s.skipped ? ` by ${who(s.skipped.by)}: ${cell(s.skipped.reason)}` : ""}${s.undone ? ", undone" : ""} | ${s.attempts} | ${s.startedAt === undefined ? "-" : iso(s.startedAt)} | ${s.durationMs === undefined ? "-" : formatMs(s.durationMs)} |`,
    );
  const withOutput = report.steps.filter((s) => s.output || s.error);
  if (withOutput.length > 0) {
    line();
    line("### Step output");
    for (const s of withOutput) {
      line();
      line(`**${cell(s.title)}** (\`${s.id}\`)${s.error ? `: ${cell(s.error)}` : ""}`);
      if (s.output) {
        line();
        fenced(out, s.output);
      }
    }
  }
  line();
  line("## What failed");
  line();
  if (report.failures.length === 0) line("Nothing: every step succeeded at its first attempt.");
  for (const f of report.failures)
    line(
      `- ${cell(f.title)} (\`${f.stepId}\`): ${f.status.replace(/_/g, " ")} after ${f.attempts} attempt(s)${f.error ? `: ${cell(f.error)}` : ""}`,
    );
  if (report.readiness) {
    line();
    out.push(...readinessMarkdown(report.readiness, cell, iso).slice(0, -1));
  }
  if (report.drill) {
    const d = report.drill;
    line();
    line("## Drill: before and after");
    if (d.snapshots.length > 0) {
      line();
      line("| Snapshot | Site | Taken | Workloads | Running pods |");
      line("|---|---|---|---|---|");
      for (const s of d.snapshots)
        line(
          `| ${cell(s.label)} | ${cell(s.site)} | ${s.takenAt === undefined ? "not recorded" : iso(s.takenAt)} | ${s.workloads ?? "-"} | ${
            s.runningPods
              ? cell(
                  Object.entries(s.runningPods)
                    .map(([ns, n]) => `${ns}: ${n}`)
                    .join(", ") || "none",
                )
              : "-"
          } |`,
        );
    }
    for (const diff of d.diffs) {
      line();
      line(`Snapshot \`${diff.before}\` → \`${diff.after}\` on ${cell(diff.site)}:`);
      line();
      if (!diff.diff) line("No diff was recorded.");
      else {
        const rows = [
          ...diff.diff.added.map((x) => `+ ${x}`),
          ...diff.diff.removed.map((x) => `- ${x}`),
          ...diff.diff.changed.map((c) => `~ ${c.object}: ${c.field} ${c.before} → ${c.after}`),
          ...diff.diff.runningPods.map((p) => `~ running pods in ${p.namespace}: ${p.before} → ${p.after}`),
        ];
        fenced(out, rows.length ? rows.join("\n") : "no difference");
      }
    }
    line();
    line("## Drill: isolation and cleanup");
    line();
    for (const i of d.isolation)
      line(`- ${cell(i.title)}: ${i.status.replace(/_/g, " ")}${i.output ? ` (${cell(i.output)})` : ""}`);
    for (const c of d.cleanup)
      line(
        `- Cleanup proof (\`${c.stepId}\`): ${c.status.replace(/_/g, " ")}${c.proof ? `: ${cell(c.proof)}` : ""}${c.error ? `: ${cell(c.error)}` : ""}`,
      );
    line();
    line(d.clean ? "Nothing of this drill remains." : "**Cleanup is not proven.**");
  }
  line();
  line("## Lessons to record");
  line();
  line("_For the review: what went well, what to change in the runbook, owners and dates._");
  line();
  line("- ");
  line();
  line("## Timeline");
  line();
  line("| At (UTC) | Who | What |");
  line("|---|---|---|");
  for (const t of report.timeline) line(`| ${iso(t.at)} | ${said(t.actor)} | ${said(t.text)} |`);
  line();
  line(`_Generated by drbot at ${iso(report.generatedAt)}._`);
  return `${out.join("\n")}\n`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Table cells: one line, pipes escaped, Markdown's active characters neutralised. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/([`*_<>[\]])/g, "\\$1");
}

/** A fence longer than any backtick run in the text, so output can never close it early. */
function fenced(out: string[], text: string): void {
  const body =
    text.length > OUTPUT_MAX
      ? `${text.slice(0, OUTPUT_MAX)}\n… (${text.length - OUTPUT_MAX} more characters in the JSON report)`
      : text;
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  out.push(fence, body, fence);
}
