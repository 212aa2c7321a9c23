import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DrError } from "../../src/domain/errors.js";
import { defineStepKind, type StepServices } from "../../src/engine/step-kind.js";
import { observeStep, runStepAttempt, type StepRunnerDeps } from "../../src/engine/step-runner.js";
import type { Logger } from "../../src/ports/logger.js";
import { testConfig } from "../support/config-fixture.js";
import { noCommands } from "../support/engine-harness.js";
import { recordingLogger } from "../support/recording-logger.js";
import { planStep } from "../support/report-fixtures.js";
import { runRecord, stepRecord } from "../support/run-fixtures.js";
import { waitFor } from "../support/wait-for.js";

function deps(logger: Logger): StepRunnerDeps {
  const services: StepServices = { commands: noCommands, secrets: [], logger };
  return { config: testConfig(), clock: { now: () => Date.now() }, services, outputLimit: 10_000 };
}

const failing = (error: () => Error) =>
  defineStepKind({
    kind: "test.failing",
    description: "Throws.",
    params: z.object({}).strict(),
    siteParams: [],
    idempotent: false,
    summarize: () => "fails",
    execute: async () => {
      throw error();
    },
    observe: async () => {
      throw error();
    },
  });

describe("running one step attempt", () => {
  it("logs a kind's unexpected error with its stack, run and step, and fails the step with its message", async () => {
    const logger = recordingLogger();
    const run = runRecord();
    const step = planStep("boom", { kind: "test.failing" });
    const kind = failing(() => new TypeError("cannot read properties of undefined"));

    const outcome = await runStepAttempt(
      deps(logger),
      kind,
      run,
      step,
      stepRecord("boom"),
      new AbortController().signal,
    );

    expect(outcome).toMatchObject({ status: "failed", error: "cannot read properties of undefined" });
    expect(logger.lines).toEqual([
      {
        level: "error",
        message: "step failed with an unexpected error",
        context: { runId: run.id, stepId: "boom", operation: "step.execute", err: expect.any(TypeError) },
      },
    ]);
  });

  it("does not log a failure the kind described (a DrError): the step's record has it", async () => {
    const logger = recordingLogger();
    const kind = failing(() => new DrError("timeout", "dc1 did not answer"));
    const outcome = await runStepAttempt(
      deps(logger),
      kind,
      runRecord(),
      planStep("slow"),
      stepRecord("slow"),
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ status: "failed", error: "dc1 did not answer" });
    expect(logger.lines).toEqual([]);
  });

  it("logs a failure that comes after the step was stopped, which nobody waits for any more", async () => {
    const logger = recordingLogger();
    let fail: (error: Error) => void = () => undefined;
    const deaf = defineStepKind({
      kind: "test.deaf",
      description: "Ignores its signal.",
      params: z.object({}).strict(),
      siteParams: [],
      idempotent: true,
      summarize: () => "deaf",
      execute: () =>
        new Promise((_, reject) => {
          fail = reject;
        }),
    });
    const abort = new AbortController();
    const run = runRecord();
    const attempt = runStepAttempt(
      deps(logger),
      deaf,
      run,
      planStep("deaf"),
      stepRecord("deaf"),
      abort.signal,
    );
    abort.abort();
    expect(await attempt).toMatchObject({ status: "failed", cause: "shutdown" });

    fail(new Error("connection reset after the abort"));

    await waitFor(() => logger.lines.length > 0, { timeoutMs: 5_000 });
    expect(logger.lines).toEqual([
      {
        level: "warn",
        message: "a step failed after it was stopped",
        context: {
          runId: run.id,
          stepId: "deaf",
          operation: "step.execute",
          cause: "shutdown",
          err: expect.objectContaining({ message: "connection reset after the abort" }),
        },
      },
    ]);
  });
});

describe("observing a step", () => {
  it("answers unknown when observing fails, and logs an unexpected error", async () => {
    const logger = recordingLogger();
    const kind = failing(() => new RangeError("index out of range"));
    const run = runRecord();
    const observation = await observeStep(
      deps(logger),
      kind,
      run,
      planStep("look"),
      stepRecord("look"),
      new AbortController().signal,
    );
    expect(observation).toEqual({ holds: "unknown", evidence: "observation failed: index out of range" });
    expect(logger.lines.map((l) => [l.level, l.message, l.context.operation, l.context.stepId])).toEqual([
      ["error", "observing a step failed with an unexpected error", "step.observe", "look"],
    ]);
  });
});
