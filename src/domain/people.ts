import type { RunRecord, StepRecord } from "./run.js";
import type { RunReport } from "./run-report.js";

/**
 * People as readers know them. Runs record people by their Slack user ID ("aborted by U0ONCALL1");
 * each surface names them its own way: Slack as a mention (every reader sees the name), reports and
 * the CLI by display name from the directory, the ID kept beside it for the audit. Only the IDs a run
 * itself records are replaced in its free text, so no other word is mistaken for a person. Pure.
 */

/** Everyone the run records: the requester, approvers, deciders, operators, skippers and tickers. */
export function peopleOf(run: RunRecord, steps?: ReadonlyMap<string, StepRecord>): string[] {
  const ids = new Set<string>([run.requestedBy]);
  for (const a of run.approvals) ids.add(a.userId);
  for (const d of run.decisions) ids.add(d.userId);
  if (run.control) ids.add(run.control.userId);
  for (const record of steps?.values() ?? []) {
    if (record.skipped) ids.add(record.skipped.by);
    for (const a of record.attestations ?? []) ids.add(a.userId);
  }
  return [...ids].filter((id) => id.length > 0);
}

/** Everyone the report records by user ID: requester, approvers, deciders, tickers, skippers. */
export function reportPeople(report: RunReport): string[] {
  return [
    ...new Set([
      report.run.requestedBy,
      ...report.approvals.received.map((a) => a.userId),
      ...report.decisions.map((d) => d.userId),
      ...report.attestations.map((a) => a.userId),
      ...report.steps.flatMap((s) => (s.skipped ? [s.skipped.by] : [])),
    ]),
  ];
}

/**
 * `text` with each whole-word occurrence of one of `ids` written as `name(id)`. Longer IDs first, so
 * an ID that starts another one never replaces part of it.
 */
export function namePeople(text: string, ids: readonly string[], name: (id: string) => string): string {
  const known = [...new Set(ids)].filter((id) => /^[A-Za-z0-9._-]+$/.test(id));
  if (known.length === 0) return text;
  known.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(
    `(?<![A-Za-z0-9._-])(${known.map(escapeRegExp).join("|")})(?![A-Za-z0-9_-])`,
    "g",
  );
  return text.replace(pattern, (id) => name(id));
}

/** "Dana Ops (U0ONCALL1)" when the directory knows the name, else the ID alone. */
export function nameWithId(names: ReadonlyMap<string, string>, id: string): string {
  const name = names.get(id);
  return name && name !== id ? `${name} (${id})` : id;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
}
