import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DnsProviderConfig, DnsRecordConfig } from "../../domain/config.js";
import { type DnsWeights, describeWeights } from "../../domain/dns-weights.js";
import { DrError } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";
import type { CommandResult, CommandRunner } from "../../ports/command-runner.js";
import type { DnsProvider, DnsRequestOptions } from "../../ports/dns.js";
import { route53ChangeBatch } from "./route53-change-batch.js";
import { parseReportedWeights, toWeightsDocument } from "./weights-document.js";

type CommandConfig = Extract<DnsProviderConfig, { kind: "command" }>;

/** The argument that becomes the change batch's path; without it the path is the last argument. */
export const FILE_PLACEHOLDER = "{file}";

/**
 * DNS through programs the operator chooses (for example the AWS CLI): drbot writes the change
 * batch to a private temporary file and runs the apply command with its path; the read command
 * prints the current weights as JSON. Programs run with argument arrays through the CommandRunner
 * (execa, no shell), under the provider's timeout and the caller's signal.
 */
export class CommandDnsProvider implements DnsProvider {
  readonly kind = "command" as const;
  readonly description: string;

  constructor(
    private readonly config: CommandConfig,
    private readonly records: readonly DnsRecordConfig[],
    private readonly commands: CommandRunner,
    private readonly secrets: readonly string[] = [],
  ) {
    this.description = `command hook ${config.apply.command}`;
  }

  async readWeights(records: readonly string[], options: DnsRequestOptions = {}): Promise<DnsWeights> {
    const { command, args, passEnv } = this.config.read;
    const result = await this.run("read the DNS weights", command, args, passEnv, options);
    return parseReportedWeights(result.stdout, records, `the DNS read command ${command}`);
  }

  async applyWeights(desired: DnsWeights, options: DnsRequestOptions = {}): Promise<void> {
    const comment = `drbot: ${describeWeights(desired)}`;
    const body =
      this.config.format === "route53"
        ? route53ChangeBatch(this.records, desired, comment)
        : toWeightsDocument(desired);
    // A directory of our own (0700) so no other user can swap the file between write and run.
    const dir = await mkdtemp(join(tmpdir(), "drbot-dns-"));
    try {
      const file = join(dir, "change-batch.json");
      await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
      const { command, args, passEnv } = this.config.apply;
      const withFile = args.some((a) => a.includes(FILE_PLACEHOLDER))
        ? args.map((a) => a.split(FILE_PLACEHOLDER).join(file))
        : [...args, file];
      await this.run("apply the DNS weights", command, withFile, passEnv, options);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs one hook; a non-zero exit, a timeout or an abort becomes a DrError naming the program. */
  private async run(
    what: string,
    command: string,
    args: readonly string[],
    passEnv: readonly string[],
    options: DnsRequestOptions,
  ): Promise<CommandResult> {
    const result = await this.commands.run(command, args, {
      timeoutMs: this.config.timeout,
      passEnv,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.timedOut)
      throw new DrError(
        "timeout",
        `could not ${what}: ${command} did not finish within ${this.config.timeout} ms`,
      );
    if (result.aborted)
      throw new DrError("timeout", `could not ${what}: ${command} was stopped (step aborted)`);
    if (result.exitCode !== 0) {
      const stderr = redact(result.stderr.trim().split("\n").slice(-3).join(" | "), this.secrets).slice(
        0,
        300,
      );
      throw new DrError(
        "step_failed",
        `could not ${what}: ${command} exited with ${result.exitCode ?? "a signal"}${stderr ? `: ${stderr}` : ""}`,
      );
    }
    return result;
  }
}
