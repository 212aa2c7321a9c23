/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts: the one sleep the engine and
 * the adapters poll with, so an operator's abort, a lost lease or a deadline ends a wait at once
 * instead of after it. Without a signal it is a plain wait. No timer outlives the wait.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
