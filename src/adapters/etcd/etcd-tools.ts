import { join } from "node:path";
import { DrError, describeError } from "../../domain/errors.js";
import type { CommandResult, CommandRunner } from "../../ports/command-runner.js";
import { EtcdError } from "./etcd-error.js";

/** etcdctl (talks to the server) and etcdutl (reads snapshot files), from binDir or PATH. */
export interface EtcdTools {
  etcdctl: string;
  etcdutl: string;
  rsync: string;
  commands: CommandRunner;
}

export function etcdTools(commands: CommandRunner, binDir?: string): EtcdTools {
  return {
    etcdctl: binDir ? join(binDir, "etcdctl") : "etcdctl",
    etcdutl: binDir ? join(binDir, "etcdutl") : "etcdutl",
    rsync: "rsync",
    commands,
  };
}

/**
 * Runs one tool with an argument array and the caller's deadline. A tool that cannot be started is
 * an EtcdError("tool_missing"); a run that hits the deadline is an EtcdError("timeout"). A non-zero
 * exit is returned for the caller to word.
 */
export async function runTool(
  tools: EtcdTools,
  file: string,
  args: readonly string[],
  where: { source: string; operation: string; at?: string },
  limits: { signal: AbortSignal; timeoutMs: number },
): Promise<CommandResult> {
  if (limits.signal.aborted || limits.timeoutMs <= 0)
    throw new EtcdError("timeout", where, "no time left before the deadline");
  let result: CommandResult;
  try {
    result = await tools.commands.run(file, args, { timeoutMs: limits.timeoutMs, signal: limits.signal });
  } catch (error) {
    if (error instanceof DrError && error.code === "unavailable")
      throw new EtcdError(
        "tool_missing",
        where,
        `${file} is not installed or not executable (set binDir on the data source, or put it on PATH)`,
        { cause: error },
      );
    throw new EtcdError("snapshot_failed", where, describeError(error), { cause: error });
  }
  if (result.timedOut || result.aborted)
    throw new EtcdError(
      "timeout",
      where,
      result.timedOut
        ? `no answer within ${limits.timeoutMs} ms`
        : "stopped: the caller gave up (run aborted or its deadline passed)",
    );
  return result;
}

/**
 * The reason etcdctl/etcdutl gave, in one line. etcdctl logs JSON lines whose `error` field holds a
 * gRPC error ("… desc = latest balancer error: connection error: desc = \"transport: …\""); the
 * innermost desc is the part a person can act on. Go panics (etcdutl on a truncated file) are cut
 * to their first line.
 */
export function toolReason(result: CommandResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split("\n").map((l) => l.trim());
  const errors: string[] = [];
  for (const line of lines) {
    const logged = line.startsWith("{") ? loggedError(line) : undefined;
    if (logged !== undefined) errors.push(logged);
    else if (
      line.startsWith("Error:") ||
      /^(fatal error|panic):/.test(line) ||
      line.startsWith("unexpected fault")
    ) {
      errors.push(line.replace(/^Error:\s*/, ""));
    }
  }
  const detailed =
    errors.find((e) => e.includes("desc =")) ?? errors[0] ?? lines.find((l) => l.length > 0) ?? "";
  const innermost = detailed.split("desc = ").pop() ?? detailed;
  const text = innermost.replace(/\\"/g, '"').replace(/^"|"$/g, "");
  return `${text.slice(0, 300)} (exit ${result.exitCode ?? "none"})`;
}

/** The `error` field of one of etcdctl's JSON log lines; undefined for any other line. */
function loggedError(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { error?: unknown };
    return typeof parsed.error === "string" ? parsed.error : undefined;
  } catch {
    // Not a JSON log line after all: the plain-text rules judge it.
    return undefined;
  }
}
