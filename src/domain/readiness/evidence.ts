/** At most this many evidence lines per finding: a person reads them on a card or in a terminal. */
export const MAX_EVIDENCE_LINES = 8;

/** The first `max` lines, then "and N more" when there were more. */
export function capLines(lines: readonly string[], max = MAX_EVIDENCE_LINES): string[] {
  if (lines.length <= max) return [...lines];
  return [...lines.slice(0, max), `and ${lines.length - max} more`];
}
