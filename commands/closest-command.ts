/**
 * The names a mistyped word most likely meant: `falover` → `failover`, `stat` → `status`. A typo is
 * a few letters inserted, dropped, changed or swapped (the optimal string alignment distance), and
 * a word that starts only one name is that name shortened. Short words get fewer edits, so `ru` is
 * not taken for every two-letter name; when no name is close, there is no suggestion at all (a
 * guess that sends a person at 3 a.m. to the wrong command is worse than none).
 */
export function closestNames(word: string, names: readonly string[]): string[] {
  const typed = word.toLowerCase();
  if (typed.length === 0) return [];
  const starting = names.filter((n) => typed.length >= 2 && n.startsWith(typed));
  if (starting.length === 1) return starting;
  const budget = typed.length <= 3 ? 1 : 2;
  let best = budget + 1;
  let found: string[] = [];
  for (const name of names) {
    const d = editDistance(typed, name);
    if (d < best) {
      best = d;
      found = [name];
    } else if (d === best) found.push(name);
  }
  return best <= budget ? found : starting;
}

/** Insertions, deletions, substitutions and swaps of two neighbours needed to turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, at(i - 2, j - 2) + 1);
      rows[i]![j] = d;
    }
  return at(a.length, b.length);
}
