import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Parses "2h", "15m", "1h30m", "500ms" into milliseconds; returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** A duration written as text ("2h", "15m") or as a number of seconds, parsed into milliseconds. */
export const durationSchema = z.union([z.string(), z.number().nonnegative()]).transform((value, ctx) => {
  if (typeof value === "number") return Math.round(value * 1000);
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a duration; write it like 30s, 15m, 2h or 1h30m`,
    });
    return z.NEVER;
  }
  return ms;
});

/**
 * The one way drbot writes a duration, for people (Slack, the CLI, reports): its two largest units
 * that are not zero, "15m", "1h 59m", "1d 30m", "14m 30s", "42s", the smaller one rounded (1h 59m
 * 40s is "2h": a reader compares it with a target written the same way); under ten seconds to a
 * tenth ("4.2s"), under a second in milliseconds ("850ms"). A negative duration keeps its sign.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "unknown";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 9_950) return `${sign}${(Math.round(abs / 100) / 10).toString()}s`;
  const exact = components(Math.round(abs / 1000) * 1000);
  const top = exact.findIndex((n) => n > 0);
  const next = exact.findIndex((n, k) => k > top && n > 0);
  const unit = UNITS[next === -1 ? UNITS.length - 1 : next]!;
  // Rounding may carry into a larger unit (59m 40s is 1h): the rounded amount is split again.
  const rounded = components(Math.round(abs / unit.ms) * unit.ms);
  const shown = rounded.flatMap((n, k) => (n > 0 ? [`${n}${UNITS[k]!.name}`] : [])).slice(0, 2);
  return `${sign}${shown.join(" ")}`;
}

/** A duration, not a calendar interval: whole days of 24 h, never months (40 days stay "40d"). */
const UNITS = [
  { name: "d", ms: 86_400_000 },
  { name: "h", ms: 3_600_000 },
  { name: "m", ms: 60_000 },
  { name: "s", ms: 1_000 },
] as const;

function components(ms: number): number[] {
  return UNITS.map((u, k) => Math.floor((k === 0 ? ms : ms % UNITS[k - 1]!.ms) / u.ms));
}
