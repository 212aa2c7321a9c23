import type { NamedVariables } from "../../config/environment.js";
import { DrError, describeError } from "../../domain/errors.js";
import { otherServer, type PostgresServerKey, rejoinArguments } from "../../domain/postgres-source.js";
import { redact, truncateOutput } from "../../domain/redact.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { LongCallOptions, PostgresSourceConfig, Rejoin } from "../../ports/database-replication.js";
import { onServer, pollUntil, serverAddress } from "./on-server.js";
import { readServerState } from "./server-control.js";

const POLL_MS = 500;
const OUTPUT_LINES = 20;

/**
 * Makes `server` a streaming replica of the pair's other server: nothing when it already streams
 * from it; otherwise its `rejoin` hook (a program, no shell, with the upstream's address filled in)
 * stops it, rewinds or re-seeds it and starts it as a standby, and drbot waits until the upstream
 * sees it streaming. The hook's environment is the allow-listed one plus the variables its `passEnv`
 * names (never drbot's own secrets: the command runner refuses those).
 */
export async function rejoinServer(
  deps: { env: NamedVariables; commands: CommandRunner },
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  options: LongCallOptions,
): Promise<Rejoin> {
  const deadline = Date.now() + options.timeoutMs;
  const upstream = otherServer(server);
  const applicationName = source[server].applicationName ?? `${source.name}-${server}`;
  const address = serverAddress(source, server);
  const streams = () => streamsFrom(deps.env, source, server, applicationName, options.signal);
  if ((await streams()).yes)
    return {
      already: true,
      detail: `${address} already streams from ${serverAddress(source, upstream)}: nothing done`,
      output: "",
    };

  const hook = source[server].rejoin;
  if (!hook)
    throw new DrError(
      "invalid_config",
      `dataSources ${source.name}: ${server}.rejoin is not configured, so drbot cannot make ${address} a replica of ${serverAddress(source, upstream)}; configure the hook (deploy/postgres/drbot-pg-rejoin) or rejoin it by hand, then skip this step`,
      { source: source.name, server },
    );
  // What the hook is given is a credential too: kept out of the step's output.
  const secrets = hook.passEnv.flatMap((name) => deps.env[name] ?? []);
  const args = rejoinArguments(hook, {
    upstreamHost: source[upstream].host,
    upstreamPort: source[upstream].port,
    applicationName,
  });
  const result = await deps.commands.run(hook.command, args, {
    timeoutMs: Math.max(1_000, Math.min(hook.timeout, deadline - Date.now())),
    ...(options.signal ? { signal: options.signal } : {}),
    passEnv: hook.passEnv,
  });
  const output = redact(
    truncateOutput(
      [result.stdout, result.stderr].filter(Boolean).join("\n").split("\n").slice(-OUTPUT_LINES).join("\n"),
      4_000,
    ),
    secrets,
  );
  if (result.timedOut || result.aborted || result.exitCode !== 0)
    throw new DrError(
      result.timedOut ? "timeout" : "step_failed",
      `${source.name} ${server} (${address}): the rejoin hook ${hook.command} ${
        result.timedOut
          ? "did not finish in time"
          : result.aborted
            ? "was stopped"
            : `exited with ${result.exitCode}`
      }: ${output.split("\n").slice(-3).join(" / ") || "no output"}`,
      { source: source.name, server },
    );

  let last = "";
  const streaming = await pollUntil(
    async () => {
      const check = await streams();
      last = check.why;
      return check.yes;
    },
    { deadline, intervalMs: POLL_MS, signal: options.signal },
  );
  if (!streaming)
    throw new DrError(
      "timeout",
      `${source.name} ${server} (${address}): the rejoin hook succeeded, but the server does not stream from ${serverAddress(source, upstream)}: ${last}`,
      { source: source.name, server },
    );
  const how = redact(result.stdout.trim().split("\n").at(-1) ?? "", secrets);
  return {
    already: false,
    detail: `${address} streams from ${serverAddress(source, upstream)} (${how || `${hook.command} exited 0`})`,
    output,
  };
}

/**
 * Whether `server` is a standby that the other server lists as streaming under its application
 * name. A server that does not answer (stopped for the rejoin) is not streaming: no error.
 */
async function streamsFrom(
  env: NamedVariables,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  applicationName: string,
  signal: AbortSignal | undefined,
): Promise<{ yes: boolean; why: string }> {
  const options = signal ? { signal } : {};
  try {
    const state = await readServerState(env, source, server, options);
    if (!state.inRecovery) return { yes: false, why: `${state.address} is not in recovery` };
    const rows = await onServer(env, source, otherServer(server), "read its standbys", options, (query) =>
      query<{ state: string }>("SELECT state FROM pg_stat_replication WHERE application_name = $1", [
        applicationName,
      ]),
    );
    return rows.some((r) => r.state === "streaming")
      ? { yes: true, why: "streaming" }
      : {
          yes: false,
          why: `${serverAddress(source, otherServer(server))} lists no streaming standby named ${applicationName}${rows[0] ? ` (it is ${rows[0].state})` : ""}`,
        };
  } catch (error) {
    return { yes: false, why: describeError(error) };
  }
}
