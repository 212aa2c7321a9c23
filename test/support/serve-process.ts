import { execa, type ResultPromise } from "execa";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/**
 * `drbot serve` in a process of its own, as production runs it (Node with tsx, the CLI entry point),
 * with the Slack port and the management port on free ports of 127.0.0.1; resolves once /readyz
 * answers 200, fails with the process's output if it exits or is not ready within a minute. Stopped
 * with SIGTERM, as Kubernetes stops a pod; killed with SIGKILL, as a crashed node or the OOM killer
 * would (nothing released, nothing flushed).
 */
export interface ServeProcess {
  /** The Slack port (PORT): /slack/events only. */
  baseUrl: string;
  port: number;
  /** The management port (MANAGEMENT_PORT): /healthz, /readyz, /metrics. */
  managementUrl: string;
  managementPort: number;
  /** The process id (a benchmark reads its CPU time from /proc). */
  pid: number;
  output(): string;
  /** The JSON log lines it wrote so far, parsed (its other output left out). */
  logLines(): LogLine[];
  /** GET on the management port. */
  get(path: string): Promise<{ status: number; body: string; type: string }>;
  /** GET on the Slack port. */
  getOnSlackPort(path: string): Promise<{ status: number; body: string; type: string }>;
  stop(): Promise<void>;
  /** Sends `signal` without waiting for the process to end (a drain under way is watched meanwhile). */
  signal(signal: NodeJS.Signals): void;
  /** Settles once the process is gone: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ exitCode?: number; signal?: string }>;
  /** Sends SIGKILL and resolves once the process is gone, with the signal that ended it. */
  kill(): Promise<string | undefined>;
}

export async function startServeProcess(
  env: Record<string, string>,
  options: { port?: number; managementPort?: number } = {},
): Promise<ServeProcess> {
  const port = options.port ?? (await freePort());
  const managementPort = options.managementPort ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const chunks: string[] = [];
  const child: ResultPromise = execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      MANAGEMENT_PORT: String(managementPort),
      BIND_ADDRESS: "127.0.0.1",
      ...env,
    },
    reject: false,
    all: true,
  });
  child.all?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  let exited = false;
  const ended = child.then((result) => {
    exited = true;
    return {
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(result.signal ? { signal: result.signal } : {}),
    };
  });
  const getFrom = async (url: string) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
  };
  const get = (path: string) => getFrom(`${managementUrl}${path}`);
  const output = () => chunks.join("");
  await waitFor(async () => exited || (await get("/readyz").catch(() => ({ status: 0 }))).status === 200, {
    timeoutMs: 60_000,
    intervalMs: 100,
    description: "drbot serve to be ready",
  }).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${error.message}; its output:\n${output()}`);
  });
  if (exited) throw new Error(`drbot serve exited; its output:\n${output()}`);
  return {
    baseUrl,
    port,
    managementUrl,
    managementPort,
    pid: child.pid!,
    output,
    logLines: () => parseLogLines(output()),
    get,
    getOnSlackPort: (path) => getFrom(`${baseUrl}${path}`),
    async stop() {
      child.kill("SIGTERM");
      await child;
    },
    signal(signal) {
      child.kill(signal);
    },
    exited: ended,
    async kill() {
      child.kill("SIGKILL");
      return (await child).signal;
    },
  };
}

/** One line of drbot's JSON log: pino's fields, then the context's (operation, runId, err, …). */
export interface LogLine {
  level: string;
  time: string;
  msg: string;
  operation?: string;
  [field: string]: unknown;
}

/** The lines of `output` that are JSON log lines, parsed; everything else is skipped. */
export function parseLogLines(output: string): LogLine[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const parsed = JSON.parse(line) as Partial<LogLine>;
      return typeof parsed.msg === "string" && typeof parsed.level === "string" ? [parsed as LogLine] : [];
    } catch {
      // A line that starts like JSON but is not one: other output, not a log line.
      return [];
    }
  });
}
