import { abortableDelay } from "../../ports/abortable-delay.js";
import type { NamespaceDeleteOptions } from "../../ports/site.js";
import { KubeError } from "./kube-error.js";

/**
 * Deletes a namespace and polls until it is gone: a namespace lingers in Terminating while the
 * namespace controller deletes everything in it, and a cleanup step must not report success before
 * that. Returns false when the namespace did not exist (idempotent). Polls rather than watches, like
 * waitForRollout, and ends at the deadline with a `timeout` naming the namespace.
 */
export async function deleteNamespace(
  site: string,
  name: string,
  send: {
    remove: (signal: AbortSignal) => Promise<unknown>;
    exists: (signal: AbortSignal) => Promise<boolean>;
  },
  options: NamespaceDeleteOptions,
  now: () => number = Date.now,
): Promise<boolean> {
  const operation = `delete namespace ${name}`;
  const signalUntilDeadline = () =>
    AbortSignal.any([
      AbortSignal.timeout(Math.max(1, options.deadline - now())),
      ...(options.signal ? [options.signal] : []),
    ]);
  let existed = true;
  try {
    await send.remove(signalUntilDeadline());
  } catch (error) {
    if (!(error instanceof KubeError && error.reason === "not_found")) throw error;
    existed = false;
  }
  let delay = 100;
  while (await send.exists(signalUntilDeadline())) {
    const left = options.deadline - now();
    if (left <= 0 || options.signal?.aborted)
      throw new KubeError(
        "timeout",
        { site, operation },
        "the namespace was still terminating at the deadline",
      );
    await abortableDelay(Math.min(delay, left), options.signal);
    delay = Math.min(delay * 1.5, 1_000);
  }
  return existed;
}
