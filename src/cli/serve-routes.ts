import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import type { DrbotMetrics } from "../adapters/metrics/drbot-metrics.js";
import { loadConfig } from "../config/load-config.js";
import { describeError } from "../domain/errors.js";
import type { Runtime } from "../runtime/create-runtime.js";

export interface Route {
  path: string;
  handler: (res: ServerResponse) => void | Promise<void>;
}

const REDIS_DEADLINE_MS = 2_000;

/**
 * The configuration file on disk against the configuration this process validated at start:
 * - unchanged: the same text;
 * - changed: different text that validates (a restart applies it);
 * - invalid: different text that does not validate (a restart would refuse to start);
 * - unreadable: gone, or not a readable file (a restart would refuse to start).
 */
export type ConfigFileState = "unchanged" | "changed" | "invalid" | "unreadable";

export interface ConfigFileCheck {
  state: ConfigFileState;
  /** The readiness line: "config: ok (…)" or "config: WARNING: …", with the reason. */
  line: string;
}

export interface ServeRoutesOptions {
  /** Told once each time the file's state changes (serve writes it to stderr). */
  onConfigFile?: (check: ConfigFileCheck) => void;
}

/**
 * The operational endpoints of `drbot serve`:
 * - /healthz: the process answers.
 * - /readyz: 200 only when Redis answers within its deadline and the supervisor's last round
 *   succeeded; 503 otherwise, and at once when the process drains (SIGTERM). The body says, one
 *   line per check, what holds.
 * - /metrics: Prometheus exposition (see DrbotMetrics), plus the configuration file's state.
 *
 * The configuration file changing under a running bot does not make it unready, on purpose: the
 * process keeps serving the configuration it validated at start, which still works. Every replica
 * reads the same ConfigMap, so a 503 for a bad edit would take every replica out of its Service at
 * once and leave Slack with nobody to answer, during the incident the edit may be part of. Instead
 * /readyz stays 200 and says "ready, with a warning" and why (invalid, with the file, path and
 * reason; or unreadable), `drbot_config_file_valid` drops to 0 for an alert, and serve logs it
 * once: a restart in that state would refuse to start, so fix the file before the next rollout.
 */
/** Where serve's supervisor stands, as /readyz tells it. */
export type SupervisorState = "ok" | "not_yet_run" | "failed" | "draining";

const SUPERVISOR_LINES: Record<SupervisorState, string> = {
  ok: "ok",
  not_yet_run: "not yet run",
  failed: "its last round failed (see the log)",
  draining:
    "draining (stopping): no run or step starts here, steps in flight finish, then their runs are handed over",
};

export function serveRoutes(
  rt: Runtime,
  metrics: DrbotMetrics,
  supervisor: () => SupervisorState,
  options: ServeRoutesOptions = {},
): Route[] {
  const checkConfigFile = configFileChecker(rt, options.onConfigFile);
  metrics.addGauge(
    "drbot_config_file_valid",
    "1 while the configuration file on disk reads and validates (a restart would start), 0 when it is invalid or unreadable",
    async () => {
      const { state } = await checkConfigFile();
      return state === "invalid" || state === "unreadable" ? 0 : 1;
    },
  );
  metrics.addGauge(
    "drbot_config_file_changed",
    "1 when the configuration file on disk differs from the one this process runs (a restart applies it)",
    async () => ((await checkConfigFile()).state === "unchanged" ? 0 : 1),
  );
  return [
    {
      path: "/healthz",
      handler: (res) => void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n"),
    },
    {
      path: "/readyz",
      async handler(res) {
        const [redis, config] = await Promise.all([redisLine(rt), checkConfigFile()]);
        const state = supervisor();
        const ok = redis.ok && state === "ok";
        const warned = config.state === "invalid" || config.state === "unreadable";
        const verdict = ok ? (warned ? "ready, with a warning" : "ready") : "not ready";
        res
          .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
          .end(`${verdict}\n${redis.line}\n${config.line}\nsupervisor: ${SUPERVISOR_LINES[state]}\n`);
      },
    },
    {
      path: "/metrics",
      async handler(res) {
        try {
          const body = await metrics.metrics();
          res.writeHead(200, { "content-type": metrics.contentType }).end(body);
        } catch (error) {
          res
            .writeHead(500, { "content-type": "text/plain" })
            .end(`metrics failed: ${describeError(error)}\n`);
        }
      },
    },
  ];
}

/**
 * Reads the file as it is at start-up (so later changes can be told apart), then on each call reads
 * it again; a text already judged is not validated again.
 */
function configFileChecker(
  rt: Runtime,
  onChange: ((check: ConfigFileCheck) => void) | undefined,
): () => Promise<ConfigFileCheck> {
  const running = `${rt.config.sites.length} sites, ${rt.config.applications.length} applications, ${rt.runbooks.size} runbooks`;
  const atStart = readFile(rt.configPath, "utf8").catch(
    // Unreadable just after it was loaded (an edit racing the start): later texts are then not told
    // apart from it, and readiness goes on from the configuration that was loaded.
    () => undefined,
  );
  let judged: { text: string; check: ConfigFileCheck } | undefined;
  let told: ConfigFileState = "unchanged";
  const warning = (why: string) =>
    `config: WARNING: still serving the configuration validated at start (${running}), but a restart would refuse to start: ${why}`;
  const judge = async (): Promise<ConfigFileCheck> => {
    let now: string;
    try {
      now = await readFile(rt.configPath, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? describeError(error);
      return { state: "unreadable", line: warning(`${rt.configPath} can no longer be read (${code})`) };
    }
    const start = await atStart;
    if (start === undefined || now === start) return { state: "unchanged", line: `config: ok (${running})` };
    if (judged?.text === now) return judged.check;
    let check: ConfigFileCheck;
    try {
      await loadConfig(rt.configPath);
      check = {
        state: "changed",
        line: `config: ok (${running}); the file changed on disk and validates: restart to apply it`,
      };
    } catch (error) {
      check = {
        state: "invalid",
        line: warning(
          `the file changed on disk and is INVALID: ${describeError(error).replace(/\n/g, "; ")}`,
        ),
      };
    }
    judged = { text: now, check };
    return check;
  };
  return async () => {
    const check = await judge();
    if (check.state !== told) {
      told = check.state;
      onChange?.(check);
    }
    return check;
  };
}

async function redisLine(rt: Runtime): Promise<{ ok: boolean; line: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${REDIS_DEADLINE_MS} ms`), REDIS_DEADLINE_MS);
  });
  const problem = await Promise.race([
    rt.store.kvGet("readyz").then(
      () => undefined,
      (error: unknown) => describeError(error),
    ),
    late,
  ]).finally(() => clearTimeout(timer));
  return problem === undefined
    ? { ok: true, line: "redis: ok" }
    : { ok: false, line: `redis: unavailable (${problem})` };
}
