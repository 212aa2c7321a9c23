import { execa } from "execa";
import { DrError } from "../../domain/errors.js";
import type { CommandOptions, CommandResult, CommandRunner } from "../../ports/command-runner.js";

/**
 * CommandRunner on execa: argument arrays only (`shell: false`), a hard deadline, the abort signal
 * forwarded, output captured with a size cap. A non-zero exit is a result, not an exception.
 */
export class ExecaCommandRunner implements CommandRunner {
  constructor(private readonly maxBuffer = 1024 * 1024) {}

  async run(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const started = Date.now();
    const result = await execa(file, [...args], {
      shell: false,
      reject: false,
      timeout: options.timeoutMs,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: options.env ?? {},
      extendEnv: true,
      ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
      maxBuffer: this.maxBuffer,
      stripFinalNewline: true,
      forceKillAfterDelay: 2_000,
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
