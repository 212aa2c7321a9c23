import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { listenForStopSignals } from "../../src/cli/stop-signals.js";

/** A process stand-in: only its signal events, emitted as Node emits them. */
function fakeProcess() {
  const emitter = new EventEmitter();
  return {
    on: (event: string, fn: (...a: unknown[]) => void) => emitter.on(event, fn),
    off: (event: string, fn: (...a: unknown[]) => void) => emitter.off(event, fn),
    send: (signal: NodeJS.Signals) => emitter.emit(signal, signal),
    listening: (signal: NodeJS.Signals) => emitter.listenerCount(signal),
  };
}

describe("drbot's stop signals", () => {
  it("asks for a graceful stop on the first SIGTERM or SIGINT and forces it on the second", async () => {
    const target = fakeProcess();
    const signals = listenForStopSignals(target as unknown as NodeJS.Process);
    target.send("SIGTERM");
    expect(await signals.first).toBe("SIGTERM");
    target.send("SIGINT");
    expect(await signals.second).toBe("SIGINT");
  });

  it("stays listening after the first signal, so no other handler mistakes the process for unguarded", () => {
    const target = fakeProcess();
    const signals = listenForStopSignals(target as unknown as NodeJS.Process);
    target.send("SIGTERM");
    expect(target.listening("SIGTERM")).toBe(1);
    expect(target.listening("SIGINT")).toBe(1);
    signals.dispose();
    expect(target.listening("SIGTERM")).toBe(0);
    expect(target.listening("SIGINT")).toBe(0);
  });
});
