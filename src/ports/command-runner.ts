/**
 * Runs a program with an argument array, never through a shell: nothing a person typed can become a
 * command. The adapter (execa) enforces the deadline and the abort signal and never throws for a
 * non-zero exit; it throws DrError("unavailable") only when the program cannot be started, and
 * DrError("invalid_input") when `passEnv` names one of drbot's own secrets.
 *
 * The program's environment is an allow-list, never drbot's whole environment: PATH, HOME, the
 * locale, the time zone, the proxies (src/config/environment.ts, CHILD_VARIABLES), then the
 * variables `passEnv` names, taken from drbot's environment, then `env` as given.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult>;
}

export interface CommandOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Variables set for the program, with these values. */
  env?: Record<string, string>;
  /** Variables of drbot's own environment given to the program (never its secrets). */
  passEnv?: readonly string[];
  input?: string;
}

export interface CommandResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}
