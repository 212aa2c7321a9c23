import { describe, expect, it } from "vitest";
import { RunDriver } from "../../src/app/run-driver.js";
import { DrError } from "../../src/domain/errors.js";
import type { DriveOutcome } from "../../src/engine/run-engine.js";
import { recordingLogger } from "../support/recording-logger.js";
import { waitFor } from "../support/wait-for.js";

function driver(drive: (runId: string) => Promise<DriveOutcome>, autoStart = true) {
  const log = recordingLogger();
  const drives: string[] = [];
  const engine = {
    drive: (runId: string) => {
      drives.push(runId);
      return drive(runId);
    },
  };
  return { driver: new RunDriver({ engine, log, autoStart }), log, drives };
}

describe("driving runs in the background", () => {
  it("logs an engine failure after an approval with the run and what started it", async () => {
    const { driver: d, log } = driver(async () => {
      throw new DrError("unavailable", "redis did not answer within 2000 ms");
    });
    d.start("failover-1", "approve.start");
    await waitFor(() => log.lines.length > 0, { description: "the failure to be logged" });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: "error",
        context: expect.objectContaining({ operation: "approve.start", runId: "failover-1" }),
      }),
    ]);
    expect(String(log.lines[0]?.context.err)).toContain("redis did not answer");
  });

  it("logs an engine failure after a person's act with the run and the act", async () => {
    const { driver: d, log } = driver(async () => {
      throw new Error("boom");
    });
    d.soon("failover-2", "resume.drive");
    await waitFor(
      () =>
        log.lines.filter((l) => l.level === "error" && l.context.operation === "resume.drive").length === 1,
      {
        description: "the failure to be logged",
      },
    );
    expect(log.lines[0]?.context.runId).toBe("failover-2");
  });

  it("drives again while another process holds the run, until it lets go", async () => {
    let held = 3;
    const {
      driver: d,
      drives,
      log,
    } = driver(async () =>
      held-- > 0 ? { driven: false, reason: "held", heldBy: "other" } : { driven: true, state: "completed" },
    );
    d.soon("failover-3", "tick.drive");
    await waitFor(() => drives.length === 4, { description: "four drives" });
    expect(log.lines).toEqual([]);
  });

  it("drives nothing when the process drives runs in the foreground (the CLI)", () => {
    const { driver: d, drives } = driver(async () => ({ driven: true, state: "completed" }), false);
    d.start("failover-4", "approve.start");
    d.soon("failover-4", "tick.drive");
    expect(drives).toEqual([]);
  });
});
