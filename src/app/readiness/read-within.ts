import { describeError } from "../../domain/errors.js";
import type { Read } from "../../domain/readiness/site-objects.js";

/**
 * One reading of a readiness round: its value, or why there is none (what it threw, or that the
 * round's signal aborted first). Never rejects and never outlasts the signal: the work itself is
 * given the signal too, so it stops rather than running on unseen.
 */
export async function readWithin<T>(signal: AbortSignal, work: () => Promise<T>): Promise<Read<T>> {
  const late = (): Read<T> => ({ error: "no answer before the readiness round's deadline" });
  if (signal.aborted) return late();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<Read<T>>((resolve) => {
    onAbort = () => resolve(late());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([
      work().then(
        (value): Read<T> => ({ value }),
        // The reason is the finding's evidence: an unreadable site is a verdict, not a failure.
        (error: unknown): Read<T> => ({ error: describeError(error) }),
      ),
      aborted,
    ]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Runs `work` on every item, at most `limit` at a time; `work` must not reject (use readWithin).
 * `pace`, when given, is awaited before each item starts (see paced).
 */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  pace?: () => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await pace?.();
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Spaces starts at least `ms` apart (the first at once); a wait ends early when the signal aborts,
 * so the work then finds the round over.
 */
export function paced(ms: number, signal: AbortSignal): () => Promise<void> {
  let nextStart = 0;
  return async () => {
    const now = performance.now();
    const start = Math.max(now, nextStart);
    nextStart = start + ms;
    if (start > now && !signal.aborted)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, start - now);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
  };
}
