import type { WorkloadRef, WorkloadState } from "../../domain/workloads.js";
import type { RolloutOptions } from "../../ports/site.js";
import { KubeError } from "./kube-error.js";

/**
 * Polls a workload until its rollout is complete or the deadline passes. Polling rather than a
 * watch: watches and informers are known to stall silently after an API server restart
 * (client-node #958, #1933), and a failover must not wait on a dead stream.
 *
 * Complete means: the controller has seen the current generation, spec and status agree on the
 * desired count, and that many pods are ready and updated (so a scale-down is complete only once
 * the old pods are gone). A request that times out or finds the API unreachable is retried until
 * the deadline; forbidden, not found and invalid end the wait at once.
 */
export async function waitForRollout(
  site: string,
  ref: WorkloadRef,
  read: (signal: AbortSignal) => Promise<WorkloadState>,
  options: RolloutOptions,
  now: () => number = Date.now,
): Promise<WorkloadState> {
  const what = `wait for ${refText(ref)}${options.replicas !== undefined ? ` to have ${options.replicas} ready replicas` : " to roll out"}`;
  let last: WorkloadState | undefined;
  let lastError: KubeError | undefined;
  let delay = 100;
  for (;;) {
    const left = options.deadline - now();
    if (left <= 0 || options.signal?.aborted) break;
    const signal = AbortSignal.any([AbortSignal.timeout(left), ...(options.signal ? [options.signal] : [])]);
    try {
      last = await read(signal);
      lastError = undefined;
      options.onProgress?.(last);
      if (isRolledOut(last, options.replicas ?? last.replicas)) return last;
    } catch (error) {
      if (!(error instanceof KubeError) || !["timeout", "unreachable", "unknown"].includes(error.reason))
        throw error;
      lastError = error;
    }
    await sleep(Math.min(delay, options.deadline - now()), options.signal);
    delay = Math.min(delay * 1.5, 1_000);
  }
  const desired = options.replicas ?? last?.replicas;
  const detail = options.signal?.aborted
    ? "stopped: the caller gave up"
    : last
      ? `${last.readyReplicas}/${desired} ready, ${last.updatedReplicas} updated, generation ${last.observedGeneration}/${last.generation} observed at the deadline`
      : `no answer before the deadline${lastError ? ` (${lastError.message})` : ""}`;
  throw new KubeError("timeout", { site, operation: what }, detail, { details: { state: last } });
}

export function isRolledOut(state: WorkloadState, desired: number): boolean {
  return (
    state.observedGeneration >= state.generation &&
    state.replicas === desired &&
    (state.statusReplicas ?? desired) === desired &&
    state.readyReplicas === desired &&
    (desired === 0 || state.updatedReplicas === desired)
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function refText(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace}/${ref.name}`;
}
