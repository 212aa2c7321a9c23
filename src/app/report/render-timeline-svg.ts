import { formatMs } from "../../domain/duration.js";
import type { ReportStep, RunReport } from "../../domain/run-report.js";

/**
 * The run's timeline as an SVG picture, because people would rather look than read: the RTO budget
 * on top (phases filled in to scale), then one bar per step on a time axis with its duration, the
 * runbook phases behind them, and the RTO budget line. When the run used a small part of the budget,
 * the step axis zooms in on the run and the budget line sits at the right edge marked off scale
 * (the budget bar above stays to scale). Pure: the same report gives the same picture.
 *
 * Elements carry classes and data attributes (`g.step[data-step-id][data-duration-ms]`,
 * `line.rto-line[data-rto-ms]`) so the picture can be checked by machines as well as looked at.
 */
const WIDTH = 1100;
const LABEL_W = 330;
const CHART_X = LABEL_W + 12;
const CHART_W = WIDTH - CHART_X - 120;
const ROW_H = 22;
const BAR_H = 14;
/** Beyond this many steps, forEach expansions are drawn as one bar per runbook step. */
const MAX_ROWS = 40;

const STATUS_COLOR: Record<ReportStep["status"], string> = {
  succeeded: "#2e7d32",
  failed: "#c62828",
  timed_out: "#ef6c00",
  skipped: "#9e9e9e",
  running: "#1565c0",
  waiting: "#f9a825",
  not_started: "#cfd8dc",
};
const PHASE_COLOR: Record<string, string> = {
  detection: "#8e24aa",
  decision: "#f9a825",
  activation: "#1565c0",
  validation: "#2e7d32",
  /** Activation steps waiting for people (a checklist, a gate), drawn apart from activation. */
  waiting: "#90a4ae",
};
const STATUS_RANK: ReportStep["status"][] = [
  "failed",
  "timed_out",
  "running",
  "waiting",
  "not_started",
  "skipped",
  "succeeded",
];

interface Row {
  id: string;
  label: string;
  status: ReportStep["status"];
  phase: string;
  startedAt?: number;
  endedAt?: number;
  count: number;
}

export function renderTimelineSvg(report: RunReport): string {
  const rows = toRows(report.steps);
  const t0 = report.rto.startedAt;
  const ends = [
    ...rows.flatMap((r) =>
      r.endedAt !== undefined ? [r.endedAt] : r.startedAt !== undefined ? [report.generatedAt] : [],
    ),
    report.rto.endedAt ?? t0,
  ];
  const spanMs = Math.max(1_000, Math.max(...ends) - t0);
  const target = report.rto.targetMs;
  const rtoOnScale = target <= spanMs * 1.5;
  const axisMs = rtoOnScale ? Math.max(spanMs, target) * 1.05 : spanMs * 1.08;
  const x = (ms: number) => CHART_X + (Math.max(0, ms) / axisMs) * CHART_W;

  const parts: string[] = [];
  const budgetY = 78;
  const ganttTop = 150;
  const height = ganttTop + 24 + rows.length * ROW_H + 50;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(`${report.run.title} ${report.run.id}: timeline against the RTO budget`)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="16" y="26" font-size="17" font-weight="bold">${esc(`${report.run.title}: ${report.run.id}`)}</text>`,
    `<text class="subtitle" x="16" y="46" fill="#37474f">${esc(truncate(report.outcome, 150))}</text>`,
  );

  // The budget bar, always to scale: the whole bar is the RTO target.
  const used = report.rto.totalMs;
  const budgetMs = Math.max(target, used);
  const bx = (ms: number) => CHART_X + (ms / budgetMs) * CHART_W;
  parts.push(
    `<text class="budget-label" x="${LABEL_W}" y="${budgetY + 11}" text-anchor="end">${esc(`RTO budget ${formatMs(target)}: used ${formatMs(used)} (${pct(used, target)})`)}</text>`,
    `<rect class="budget" x="${CHART_X}" y="${budgetY}" width="${CHART_W}" height="${BAR_H}" fill="#eceff1" stroke="#90a4ae"/>`,
  );
  // Waiting for people is its own segment, right after the activation it interrupted.
  const segments = report.rto.phases.flatMap((p): { name: string; ms: number | undefined }[] =>
    p.name === "activation" && report.rto.waitingMs > 0
      ? [p, { name: "waiting", ms: report.rto.waitingMs }]
      : [p],
  );
  let offset = 0;
  for (const p of segments) {
    if (p.ms === undefined || p.ms <= 0) continue;
    const w = Math.max(1, bx(offset + p.ms) - bx(offset));
    parts.push(
      `<rect class="rto-phase" data-phase="${p.name}" data-ms="${p.ms}" x="${num(bx(offset))}" y="${budgetY}" width="${num(w)}" height="${BAR_H}" fill="${PHASE_COLOR[p.name]}"><title>${esc(`${p.name}: ${formatMs(p.ms)}`)}</title></rect>`,
    );
    offset += p.ms;
  }
  parts.push(
    `<line class="budget-target" x1="${num(bx(target))}" y1="${budgetY - 4}" x2="${num(bx(target))}" y2="${budgetY + BAR_H + 4}" stroke="#c62828" stroke-width="2"/>`,
  );
  let legendX = CHART_X;
  for (const p of segments) {
    parts.push(
      `<rect x="${legendX}" y="${budgetY + 22}" width="10" height="10" fill="${PHASE_COLOR[p.name]}"/>`,
      `<text class="legend" x="${legendX + 14}" y="${budgetY + 31}" fill="#37474f">${esc(`${p.name} ${p.ms === undefined ? "-" : formatMs(p.ms)}`)}</text>`,
    );
    legendX += 150;
  }

  // Phases of the runbook behind the step bars.
  const rowsTop = ganttTop + 24;
  const rowsBottom = rowsTop + rows.length * ROW_H;
  for (const phase of report.phases) {
    if (phase.startedAt === undefined) continue;
    const from = x(phase.startedAt - t0);
    const to = x((phase.endedAt ?? report.generatedAt) - t0);
    parts.push(
      `<g class="phase" data-phase="${esc(phase.name)}"><rect x="${num(from)}" y="${ganttTop}" width="${num(Math.max(1, to - from))}" height="${rowsBottom - ganttTop}" fill="#f5f7f8" stroke="#e0e6e9"/><text x="${num(from + 3)}" y="${ganttTop + 14}" fill="#607d8b" font-size="11">${esc(truncate(phase.name, Math.max(3, Math.floor((to - from) / 7))))}</text></g>`,
    );
  }

  // Time axis and ticks.
  parts.push(
    `<line class="axis" x1="${CHART_X}" y1="${rowsBottom + 4}" x2="${CHART_X + CHART_W}" y2="${rowsBottom + 4}" stroke="#546e7a"/>`,
  );
  for (let i = 0; i <= 5; i++) {
    const ms = (axisMs / 5) * i;
    parts.push(
      `<line x1="${num(x(ms))}" y1="${rowsBottom + 4}" x2="${num(x(ms))}" y2="${rowsBottom + 9}" stroke="#546e7a"/>`,
      `<text class="tick" x="${num(x(ms))}" y="${rowsBottom + 22}" text-anchor="middle" fill="#546e7a">${esc(`+${formatMs(ms)}`)}</text>`,
    );
  }

  // Markers: when the request came in and when it was approved (the decision phase before the bars).
  const approvedAt = report.approvals.received.at(-1)?.at;
  const markers: Array<[string, number | undefined]> = [
    ["requested", report.run.createdAt],
    ["approved", approvedAt],
  ];
  for (const [name, at] of markers) {
    if (at === undefined) continue;
    const mx = x(at - t0);
    parts.push(
      `<line class="marker" data-marker="${name}" x1="${num(mx)}" y1="${ganttTop}" x2="${num(mx)}" y2="${rowsBottom}" stroke="#78909c" stroke-dasharray="2 3"/>`,
      `<text class="marker-label" x="${num(mx + 3)}" y="${rowsBottom - 4}" fill="#78909c" font-size="10">${name}</text>`,
    );
  }

  // One bar per step.
  rows.forEach((row, i) => {
    const y = rowsTop + i * ROW_H;
    const label = row.count > 1 ? `${row.label} (×${row.count})` : row.label;
    const duration =
      row.startedAt !== undefined && row.endedAt !== undefined ? row.endedAt - row.startedAt : undefined;
    const attrs = `class="step" data-step-id="${esc(row.id)}" data-status="${row.status}"${duration !== undefined ? ` data-duration-ms="${duration}"` : ""}`;
    const inner: string[] = [
      `<title>${esc(`${label}: ${row.status.replace(/_/g, " ")}${duration !== undefined ? `, ${formatMs(duration)}` : ""}`)}</title>`,
      `<text class="step-label" x="${LABEL_W}" y="${y + 12}" text-anchor="end">${esc(truncate(label, 46))}</text>`,
    ];
    if (row.startedAt !== undefined) {
      const from = x(row.startedAt - t0);
      const to = x((row.endedAt ?? report.generatedAt) - t0);
      const w = Math.max(2, to - from);
      inner.push(
        `<rect class="bar" x="${num(from)}" y="${y + 1}" width="${num(w)}" height="${BAR_H}" rx="2" fill="${STATUS_COLOR[row.status]}"/>`,
        `<text class="step-duration" x="${num(from + w + 4)}" y="${y + 12}" fill="#263238">${esc(duration !== undefined ? formatMs(duration) : row.status.replace(/_/g, " "))}</text>`,
      );
    } else {
      inner.push(
        `<text class="step-duration" x="${CHART_X + 4}" y="${y + 12}" fill="#90a4ae">${esc(row.status.replace(/_/g, " "))}</text>`,
      );
    }
    parts.push(`<g ${attrs}>${inner.join("")}</g>`);
  });

  // The RTO budget line: at its place on the axis, or at the right edge when it is far beyond the run.
  const lineX = rtoOnScale ? x(target) : CHART_X + CHART_W + 6;
  parts.push(
    `<line class="rto-line" data-rto-ms="${target}" data-off-scale="${!rtoOnScale}" x1="${num(lineX)}" y1="${ganttTop - 4}" x2="${num(lineX)}" y2="${rowsBottom + 4}" stroke="#c62828" stroke-width="2"${rtoOnScale ? "" : ` stroke-dasharray="6 4"`}/>`,
    `<text class="rto-label" x="${num(lineX)}" y="${ganttTop - 8}" text-anchor="${rtoOnScale ? "middle" : "end"}" fill="#c62828">${esc(rtoOnScale ? `RTO ${formatMs(target)}` : `RTO ${formatMs(target)} (off scale →)`)}</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

function toRows(steps: readonly ReportStep[]): Row[] {
  if (steps.length <= MAX_ROWS)
    return steps.map((s) => ({
      id: s.id,
      label: s.title,
      status: s.status,
      phase: s.phase,
      ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
      ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
      count: 1,
    }));
  const groups = new Map<string, ReportStep[]>();
  for (const s of steps) groups.set(s.runbookStepId, [...(groups.get(s.runbookStepId) ?? []), s]);
  return [...groups].map(([id, members]) => {
    const starts = members.flatMap((m) => (m.startedAt !== undefined ? [m.startedAt] : []));
    const ends = members.flatMap((m) => (m.endedAt !== undefined ? [m.endedAt] : []));
    const status = STATUS_RANK.find((st) => members.some((m) => m.status === st)) ?? "not_started";
    const allEnded = ends.length === members.length;
    return {
      id,
      label: members[0]!.title,
      status,
      phase: members[0]!.phase,
      ...(starts.length ? { startedAt: Math.min(...starts) } : {}),
      ...(allEnded && ends.length ? { endedAt: Math.max(...ends) } : {}),
      count: members.length,
    };
  });
}

function esc(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML forbids these characters, so they are dropped
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

function num(n: number): string {
  return n.toFixed(1);
}

function pct(part: number, whole: number): string {
  const p = (part / whole) * 100;
  return `${p < 1 ? p.toFixed(2) : p.toFixed(1)}%`;
}
