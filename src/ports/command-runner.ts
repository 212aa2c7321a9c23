/**
 * Runs a program with an argument array, never through a shell: nothing a person typed can become a
 * command. The adapter (execa) enforces the deadline and the abort signal and never throws for a
 * non-zero exit; it throws DrError("unavailable") only when the program cannot be started.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult>;
}

export interface CommandOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: Record<string, string>;
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
