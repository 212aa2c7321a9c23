/** What a benchmark returns: its figures, each with a target where there is one. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { op: "<" | "<=" | ">" | ">="; value: number };
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  notes?: string[];
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
