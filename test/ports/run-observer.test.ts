import { describe, expect, it } from "vitest";
import type { RunObserver } from "../../src/ports/run-observer.js";
import { ObserverRelay } from "../../src/ports/run-observer.js";
import { recordingLogger } from "../support/recording-logger.js";
import { runEvent, runRecord } from "../support/run-fixtures.js";

describe("the observer relay", () => {
  it("tells every observer, and logs one that throws without breaking the run or the others", () => {
    const log = recordingLogger();
    const relay = new ObserverRelay(log);
    const heard: string[] = [];
    const broken: RunObserver = {
      onRunEvent: () => {
        throw new Error("renderer bug");
      },
    };
    relay.attach(broken);
    relay.attach({ onRunEvent: (event) => void heard.push(event.type) });
    const run = runRecord();
    expect(() => relay.onRunEvent(runEvent(run.id, "run.state"), run, new Map())).not.toThrow();
    expect(heard).toEqual(["run.state"]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: "error",
      context: { operation: "run.observe", runId: run.id, event: "run.state" },
    });
    expect((log.lines[0]!.context.err as Error).message).toBe("renderer bug");
  });
});
