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

/** Runs `work` on every item, at most `limit` at a time; `work` must not reject (use readWithin). */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
