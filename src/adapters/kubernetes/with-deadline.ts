import {
  type ConfigurationOptions,
  Observable,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import { KubeError, toKubeError } from "./kube-error.js";
import { holdPool, retireHungPool } from "./pooled-kube-config.js";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * Runs one API request with a deadline. client-node 2 has no request timeout of its own (undici
 * waits 300 s for headers), so the signal goes in through a middleware that sets it on the request
 * context; it covers connecting, the headers and the body. The race below is a second guard for
 * work the signal does not reach (for example credential plugins), so the caller is released at
 * the deadline whatever the library does.
 *
 * Middleware must return client-node's Observable; a plain Promise fails at request time.
 */
export async function withDeadline<T>(
  where: { site: string; operation: string },
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  request: (options: ConfigurationOptions, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  const deadline = { timeoutMs, timedOut: false };
  if (signal.aborted) throw toKubeError(signal.reason, where, { timeoutMs, timedOut: timeout.aborted });
  // The pool the request went out on, until an answer (its headers) came back.
  let unanswered: Dispatcher | undefined;
  let release: (() => void) | undefined;
  const middleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      unanswered = ctx.getDispatcher();
      // A request whose deadline passed before it went out is not counted: nothing would release it.
      if (unanswered && !signal.aborted) release = holdPool(unanswered);
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp: ResponseContext) => {
      unanswered = undefined;
      return new Observable(Promise.resolve(rsp));
    },
  };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([
      request({ middleware: [middleware], middlewareMergeStrategy: "append" }, signal),
      aborted,
    ]);
  } catch (error) {
    deadline.timedOut = timeout.aborted;
    // No answer at all by the deadline: the server holds the connection and says nothing.
    if (timeout.aborted && unanswered) retireHungPool(unanswered);
    throw error instanceof KubeError ? error : toKubeError(error, where, deadline);
  } finally {
    release?.();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
