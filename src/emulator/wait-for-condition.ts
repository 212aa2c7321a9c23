import type { EventLog } from "./event-log.js";

/**
 * Waits until `probe` returns something truthy, and returns it. The probe is re-evaluated whenever
 * the emulator logs an event (every state change is one), plus on a slow poll for probes that also
 * read state outside the emulator. Fails after `timeoutMs` with `description`, so tests wait on
 * conditions with a deadline and never sleep to synchronise.
 */
export interface WaitOptions {
  timeoutMs?: number;
  description?: string;
  pollMs?: number;
}

export function waitForCondition<T>(
  log: EventLog,
  probe: () => T | undefined | null | false,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { value: T } | { error: Error }) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(deadline);
      if ("value" in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const check = () => {
      try {
        const value = probe();
        if (value) finish({ value });
      } catch (error) {
        finish({ error: error instanceof Error ? error : new Error(String(error)) });
      }
    };
    const unsubscribe = log.subscribe(check);
    const poll = setInterval(check, options.pollMs ?? 50);
    const deadline = setTimeout(
      () =>
        finish({
          error: new Error(
            `timed out after ${timeoutMs} ms waiting for ${options.description ?? "a condition"}`,
          ),
        }),
      timeoutMs,
    );
    check();
  });
}
