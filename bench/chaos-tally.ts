import type { LeaseLine } from "./chaos-executor.js";
import type { Death } from "./chaos-fleet.js";
import type { EffectLine } from "./chaos-steps.js";

/**
 * What the chaos benchmark counts, from the files the executors appended to (never from Redis):
 * effects done twice, executions of one run by two executors at once, and how long runs waited
 * for another executor after theirs died.
 */
export interface Execution {
  run: string;
  step: string;
  kind: string;
  owner: string;
  start: number;
  /** When it ended, was stopped, or its process was killed. */
  end: number;
  effect: boolean;
}

/** Each start line paired with the same process's next end of that step (or its death). */
export function executions(
  lines: readonly EffectLine[],
  deaths: readonly Death[],
  benchEnd: number,
): Execution[] {
  const open = new Map<string, Execution>();
  const out: Execution[] = [];
  for (const line of [...lines].sort((a, b) => a.t - b.t)) {
    const key = `${line.run}/${line.owner}/${line.step}`;
    if (line.ev === "start") {
      const killed = deaths.find((d) => d.owner === line.owner && d.how === "kill" && d.t >= line.t);
      const execution: Execution = {
        run: line.run,
        step: line.step,
        kind: line.kind,
        owner: line.owner,
        start: line.t,
        end: killed?.t ?? benchEnd,
        effect: false,
      };
      open.set(key, execution);
      out.push(execution);
    } else {
      const execution = open.get(key);
      if (!execution) continue;
      if (line.ev === "effect") execution.effect = true;
      else {
        execution.end = line.t;
        open.delete(key);
      }
    }
  }
  return out;
}

/** Steps whose effect took place more than once, by whether repeating them is allowed. */
export function repeatedEffects(all: readonly Execution[]): { twice: string[]; idempotentRepeats: string[] } {
  const counts = new Map<string, { kind: string; n: number }>();
  for (const e of all) {
    if (!e.effect) continue;
    const key = `${e.run}/${e.step}`;
    const seen = counts.get(key) ?? { kind: e.kind, n: 0 };
    seen.n++;
    counts.set(key, seen);
  }
  const twice: string[] = [];
  const idempotentRepeats: string[] = [];
  for (const [key, { kind, n }] of counts) {
    if (n < 2) continue;
    (kind === "chaos.set" ? idempotentRepeats : twice).push(`${key} (${kind}, ${n} times)`);
  }
  return { twice, idempotentRepeats };
}

/** Pairs of executions of one run, by two executors, whose times overlap. */
export function overlaps(all: readonly Execution[]): string[] {
  const byRun = new Map<string, Execution[]>();
  for (const e of all) byRun.set(e.run, [...(byRun.get(e.run) ?? []), e]);
  const found: string[] = [];
  for (const list of byRun.values())
    for (const [i, a] of list.entries())
      for (const b of list.slice(i + 1))
        if (a.owner !== b.owner && a.start < b.end && b.start < a.end)
          found.push(
            `${a.run}: ${a.step} by ${a.owner} [${Math.round(a.start)}, ${Math.round(a.end)}] and ${b.step} by ${b.owner} [${Math.round(b.start)}, ${Math.round(b.end)}]`,
          );
  return found;
}

export interface Takeovers {
  /** Milliseconds from each death to the first claim of a run it held by another executor. */
  latencies: number[];
  /** Runs a partitioned executor held that it carried on itself once the path healed. */
  keptAfterHealing: number;
  /** Runs a dead executor held with no lease line after its death (nobody claimed them again). */
  neverTakenOver: string[];
}

/**
 * For each death, the runs the executor held at that instant (its last lease line for the run, at
 * or before it, is its own claim) and when another executor first claimed each. A claim that came
 * after a later death of the same executor (killed after its partition healed) counts for that one.
 */
export function takeovers(leases: readonly LeaseLine[], deaths: readonly Death[]): Takeovers {
  const byRun = new Map<string, LeaseLine[]>();
  for (const l of [...leases].sort((a, b) => a.t - b.t)) byRun.set(l.run, [...(byRun.get(l.run) ?? []), l]);
  const result: Takeovers = { latencies: [], keptAfterHealing: 0, neverTakenOver: [] };
  for (const d of deaths)
    for (const [run, lines] of byRun) {
      const before = lines.filter((l) => l.t <= d.t).at(-1);
      if (before?.owner !== d.owner || before.ev !== "claim") continue;
      const next = lines.find((l) => l.t > d.t);
      if (!next) result.neverTakenOver.push(`${run} (held by ${d.owner} at its ${d.how})`);
      else if (next.owner === d.owner) result.keptAfterHealing++;
      else if (!deaths.some((later) => later.owner === d.owner && later.t > d.t && later.t < next.t))
        result.latencies.push(next.t - d.t);
    }
  return result;
}
