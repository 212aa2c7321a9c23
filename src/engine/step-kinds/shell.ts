import { z } from "zod";
import { defineStepKind, type Observation, type StepContext } from "../step-kind.js";

/**
 * Runs a program with an argument array (execa, no shell). The program name is checked; arguments
 * are passed literally, so `payments; rm -rf /` is one argument, never a command. The program sees
 * an allow-listed environment (PATH, HOME, the locale…), the variables `passEnv` names from drbot's
 * environment (never drbot's own secrets: the step fails saying so), and `env` as written.
 */
const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");
const programSchema = z
  .string()
  .regex(/^[A-Za-z0-9_./+-]+$/, "a program name or path, without spaces or shell characters")
  .refine((p) => !p.includes(".."), "no '..' in program paths");

const shellParams = z
  .object({
    command: programSchema,
    args: z.array(z.string().max(4096)).max(256).default([]),
    cwd: z.string().optional(),
    env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
    /** Variables of drbot's environment the program needs (AWS_PROFILE, KUBECONFIG…), by name. */
    passEnv: z.array(variableName).max(64).default([]),
    expectExitCode: z.number().int().default(0),
    /** Whether running the command twice is harmless; false makes drbot observe before repeating. */
    idempotent: z.boolean().default(false),
    /** A check whose exit code 0 means the effect already holds (run after a crash). */
    check: z
      .object({ command: programSchema, args: z.array(z.string().max(4096)).max(256).default([]) })
      .strict()
      .optional(),
  })
  .strict();

export const shellStep = defineStepKind({
  kind: "shell",
  description:
    "Runs a program with an argument list (no shell), captures its output and checks its exit code.",
  params: shellParams,
  siteParams: [],
  idempotent: (p) => p.idempotent,
  summarize: (p) => `run ${[p.command, ...p.args].map(quoteForDisplay).join(" ")}`,
  async execute(ctx, p) {
    const result = await ctx.services.commands.run(p.command, p.args, {
      timeoutMs: Math.max(1, ctx.deadline - ctx.clock.now()),
      signal: ctx.signal,
      ...(p.cwd ? { cwd: p.cwd } : {}),
      env: p.env,
      passEnv: p.passEnv,
    });
    const output = [result.stdout, result.stderr].filter((s) => s.length > 0).join("\n");
    if (result.timedOut)
      return { status: "failed", error: `${p.command} did not finish before the step's deadline`, output };
    if (result.aborted) return { status: "failed", error: `${p.command} was stopped`, output };
    if (result.exitCode !== p.expectExitCode) {
      return {
        status: "failed",
        error: `${p.command} exited with ${result.exitCode ?? "no code"} (expected ${p.expectExitCode})`,
        output,
      };
    }
    return { status: "succeeded", output };
  },
  async observe(ctx: StepContext, p): Promise<Observation> {
    if (!p.check) return { holds: "unknown", evidence: "no check command is configured for this step" };
    const result = await ctx.services.commands.run(p.check.command, p.check.args, {
      timeoutMs: Math.max(1, ctx.deadline - ctx.clock.now()),
      signal: ctx.signal,
      ...(p.cwd ? { cwd: p.cwd } : {}),
      env: p.env,
      passEnv: p.passEnv,
    });
    if (result.timedOut || result.aborted || result.exitCode === undefined)
      return { holds: "unknown", evidence: "the check did not finish" };
    return result.exitCode === 0
      ? { holds: true, evidence: `${p.check.command} exited 0` }
      : { holds: false, evidence: `${p.check.command} exited ${result.exitCode}` };
  },
});

function quoteForDisplay(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : JSON.stringify(arg);
}
