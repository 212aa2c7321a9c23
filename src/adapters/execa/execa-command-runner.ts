import { execa } from "execa";
import { childEnvironment, type NamedVariables } from "../../config/environment.js";
import { DrError } from "../../domain/errors.js";
import type { CommandOptions, CommandResult, CommandRunner } from "../../ports/command-runner.js";

/**
 * CommandRunner on execa: argument arrays only (`shell: false`), a hard deadline, the abort signal
 * forwarded, output captured with a size cap. A non-zero exit is a result, not an exception.
 *
 * The child's environment is built here and nowhere else (`extendEnv: false`): the allow-list from
 * drbot's environment, the variables the caller passes by name unless they are drbot's own secrets
 * (`withheld`: its tokens and the variables its configuration reads passwords from), and the
 * caller's literal `env`.
 *
 * Each program runs in a process group of its own (`detached`): Ctrl-C at the terminal signals
 * drbot's whole foreground group, and drbot, not the terminal, decides what happens to a step in
 * flight (it lets it finish, src/cli/commands/drive-run.ts; a second Ctrl-C stops it through the
 * abort signal). The deadline and the abort signal stop it either way.
 */
export class ExecaCommandRunner implements CommandRunner {
  private readonly environment: NamedVariables;
  private readonly withheld: ReadonlySet<string>;
  private readonly maxBuffer: number;

  constructor(
    options: { environment?: NamedVariables; withheld?: Iterable<string>; maxBuffer?: number } = {},
  ) {
    this.environment = options.environment ?? {};
    this.withheld = new Set(options.withheld ?? []);
    this.maxBuffer = options.maxBuffer ?? 1024 * 1024;
  }

  /** The environment `run` gives a program for these options. */
  environmentFor(options: Pick<CommandOptions, "env" | "passEnv">): Record<string, string> {
    const passed: Record<string, string> = {};
    for (const name of options.passEnv ?? []) {
      if (this.withheld.has(name))
        throw new DrError(
          "invalid_input",
          `${name} is one of drbot's own secrets and is never given to a program; give the program a credential of its own`,
        );
      const value = this.environment[name];
      if (value !== undefined) passed[name] = value;
    }
    return { ...childEnvironment(this.environment), ...passed, ...options.env };
  }

  async run(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const started = Date.now();
    const env = this.environmentFor(options);
    const result = await execa(file, [...args], {
      shell: false,
      reject: false,
      timeout: options.timeoutMs,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env,
      extendEnv: false,
      ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
      maxBuffer: this.maxBuffer,
      stripFinalNewline: true,
      forceKillAfterDelay: 2_000,
      detached: true,
    });
    if (
      result.failed &&
      result.exitCode === undefined &&
      !result.timedOut &&
      !result.isCanceled &&
      result.code === "ENOENT"
    ) {
      throw new DrError("unavailable", `cannot start ${file}: not found on this machine`);
    }
    return {
      exitCode: result.exitCode,
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      timedOut: result.timedOut,
      aborted: result.isCanceled,
      durationMs: Date.now() - started,
    };
  }
}
