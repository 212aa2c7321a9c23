/**
 * SIGTERM and SIGINT as drbot handles them: the first asks for a graceful stop (a drain), a second
 * one forces it. The handlers stay installed until `dispose`, on purpose: execa's child cleanup
 * (signal-exit) re-sends a signal to the process when it thinks nobody else listens for it, and a
 * `process.once` handler is already gone when signal-exit looks. A drain would then be cut short
 * by the default action of the signal, killing drbot and the step it was letting finish.
 */
export interface StopSignals {
  /** Resolves with the first signal received. */
  readonly first: Promise<NodeJS.Signals>;
  /** Resolves with the second signal received (a person insisting, or Kubernetes' SIGKILL aside). */
  readonly second: Promise<NodeJS.Signals>;
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

export function listenForStopSignals(target: Pick<NodeJS.Process, "on" | "off"> = process): StopSignals {
  let received = 0;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  let resolveSecond: (signal: NodeJS.Signals) => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const second = new Promise<NodeJS.Signals>((resolve) => {
    resolveSecond = resolve;
  });
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) resolveFirst(signal);
    else if (received === 2) resolveSecond(signal);
  };
  for (const signal of SIGNALS) target.on(signal, handler);
  return {
    first,
    second,
    dispose() {
      for (const signal of SIGNALS) target.off(signal, handler);
    },
  };
}
