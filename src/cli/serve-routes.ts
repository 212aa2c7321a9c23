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
 * The operational endpoints of `drbot serve`:
 * - /healthz: the process answers.
 * - /readyz: 200 only when Redis answers within its deadline and the supervisor has run; the body
 *   says, one line per check, what holds. The configuration line also says when the file on disk
 *   changed since start and whether it still validates (a restart with an invalid file would fail;
 *   the running bot keeps the configuration it validated, so this does not make it unready).
 * - /metrics: Prometheus exposition (see DrbotMetrics).
 */
export function serveRoutes(rt: Runtime, metrics: DrbotMetrics, supervised: () => boolean): Route[] {
  let loadedText: Promise<string | undefined> | undefined;
  const configLine = async (): Promise<string> => {
    loadedText ??= readFile(rt.configPath, "utf8").catch(() => undefined);
    const base = `config: ok (${rt.config.sites.length} sites, ${rt.config.applications.length} applications, ${rt.runbooks.size} runbooks)`;
    const [atStart, now] = await Promise.all([
      loadedText,
      readFile(rt.configPath, "utf8").catch(() => undefined),
    ]);
    if (now === undefined) return `${base}; the file is no longer readable`;
    if (atStart === undefined || now === atStart) return base;
    try {
      await loadConfig(rt.configPath);
      return `${base}; the file changed on disk and validates: restart to apply it`;
    } catch (error) {
      return `${base}; the file changed on disk and is INVALID (a restart would fail): ${describeError(error)}`;
    }
  };
  // Read the file as it is at start-up, so later changes can be told apart.
  void configLine();
  return [
    {
      path: "/healthz",
      handler: (res) => void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n"),
    },
    {
      path: "/readyz",
      async handler(res) {
        const redis = await redisLine(rt);
        const supervisor = supervised() ? "supervisor: ok" : "supervisor: not yet run";
        const ok = redis.ok && supervised();
        res
          .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
          .end(`${ok ? "ready" : "not ready"}\n${redis.line}\n${await configLine()}\n${supervisor}\n`);
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
