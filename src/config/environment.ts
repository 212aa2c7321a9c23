import { z } from "zod";
import { DrError } from "../domain/errors.js";

/**
 * drbot's environment, parsed once at start-up by the entry point and passed down typed: nothing
 * else reads `process.env`. Each variable is one entry below, with the words the README's table
 * shows (`npm run docs:config` regenerates it; a test fails when it is stale). A variable marked
 * `secret` is redacted from every log line and step output, and no error here shows a variable's
 * value (except a REDIS_SENTINELS or REDIS_SENTINEL_ADDRESS_MAP entry that is not host:port:
 * addresses, no secret).
 *
 * Variables whose names the configuration gives (`passwordEnv`, `tokenEnv`) are not listed: they are
 * read, by the adapter that needs them, from `Environment.named`.
 */
interface VariableMeta {
  /** What it is for, as the README says it. */
  description: string;
  /** Holds a credential (or, for a URL, its password): redacted everywhere, never echoed. */
  secret?: true | "password-in-url";
}

const variable = <T extends z.ZodType>(schema: T, meta: VariableMeta): T => schema.meta({ ...meta });

const PORT_RULE = "must be a TCP port number (1-65535)";
const port = z
  .string()
  .regex(/^[0-9]{1,5}$/, PORT_RULE)
  .transform(Number)
  .pipe(z.number().int().min(1, PORT_RULE).max(65_535, PORT_RULE));

/** `host:port,host:port` (spaces allowed); a bad entry is named (a host is no secret), not guessed at. */
const sentinelList = z.string().transform((value, ctx) => {
  const sentinels: { host: string; port: number }[] = [];
  for (const entry of value.split(/[\s,]+/).filter((e) => e.length > 0)) {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      ctx.addIssue({
        code: "custom",
        message: `has "${entry.slice(0, 80)}", which is not host:port (expected host:port,host:port)`,
      });
      return z.NEVER;
    }
    sentinels.push({ host: match[1]!, port });
  }
  return sentinels;
});

/**
 * `announced=reachable,…`, each side host:port: where this process reaches the addresses the
 * Sentinels announce. A bad pair is named (addresses are no secret).
 */
const addressMap = z.string().transform((value, ctx) => {
  const map: Record<string, { host: string; port: number }> = {};
  for (const pair of value.split(/[\s,]+/).filter((e) => e.length > 0)) {
    const [announced, reachable, ...rest] = pair.split("=");
    const from = hostPort(announced ?? "");
    const to = hostPort(reachable ?? "");
    if (!from || !to || rest.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `has "${pair.slice(0, 120)}", which is not host:port=host:port (the address a Sentinel announces, then the one to use)`,
      });
      return z.NEVER;
    }
    map[`${from.host}:${from.port}`] = to;
  }
  return map;
});

function hostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  return match && port >= 1 && port <= 65_535 ? { host: match[1]!, port } : undefined;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const environmentSchema = z
  .object({
    SLACK_BOT_TOKEN: variable(
      z.string().startsWith("xoxb-", "must be a bot token (it starts with xoxb-)").optional(),
      {
        description: "the bot token (`xoxb-…`); without it `serve` runs the engine and health endpoints only",
        secret: true,
      },
    ),
    SLACK_SIGNING_SECRET: variable(z.string().optional(), {
      description: "HTTP mode: requests to `/slack/events` are verified with it (5-minute replay window)",
      secret: true,
    }),
    SLACK_APP_TOKEN: variable(
      z.string().startsWith("xapp-", "must be an app-level token (it starts with xapp-)").optional(),
      {
        description:
          "Socket Mode (`xapp-…` with `connections:write`); used when no signing secret is set, or with `SLACK_SOCKET_MODE=true`",
        secret: true,
      },
    ),
    SLACK_SOCKET_MODE: variable(
      z
        .enum(["true", "false"], "must be true or false")
        .transform((v) => v === "true")
        .default(false),
      { description: "`true` connects over Socket Mode even when a signing secret is set" },
    ),
    SLACK_API_URL: variable(z.url("must be a URL (http:// or https://)").optional(), {
      description: "the Web API base URL (default Slack's); the tests point it at the emulator",
    }),
    PORT: variable(port.default(3000), {
      description: "HTTP mode: the port Slack posts to, serving `/slack/events` and nothing else",
    }),
    MANAGEMENT_PORT: variable(port.default(9090), {
      description:
        "the operations port: `/healthz`, `/readyz` and `/metrics` for probes and Prometheus, never exposed to Slack",
    }),
    BIND_ADDRESS: variable(
      z.union([z.ipv4(), z.ipv6(), z.hostname()], "must be an IP address or a host name").default("0.0.0.0"),
      { description: "the interface both ports listen on (`127.0.0.1` keeps them on the machine)" },
    ),
    REDIS_URL: variable(
      z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
      {
        description: "replaces `redis.url` and any Sentinel from the configuration",
        secret: "password-in-url",
      },
    ),
    REDIS_SENTINELS: variable(sentinelList.optional(), {
      description: "`host:port,host:port`: replaces `redis.sentinel.sentinels` from the configuration",
    }),
    REDIS_SENTINEL_NAME: variable(z.string().optional(), {
      description: "the Sentinel master's name (default: `redis.sentinel.name`, else `drbot`)",
    }),
    REDIS_SENTINEL_ADDRESS_MAP: variable(addressMap.optional(), {
      description:
        "`announced=reachable,…` (each host:port): where this process reaches the Redis servers and Sentinels the Sentinels name, when it cannot as announced (drbot in another cluster, through a NAT or a tunnel)",
    }),
    REDIS_PASSWORD: variable(z.string().optional(), {
      description: "Redis's password, when the configuration names no `redis.passwordEnv`",
      secret: true,
    }),
    REDIS_SENTINEL_PASSWORD: variable(z.string().optional(), {
      description: "the Sentinels' password, when the configuration names no `redis.sentinel.passwordEnv`",
      secret: true,
    }),
    DRBOT_CONFIG: variable(z.string().optional(), {
      description: "the configuration file, when `--config` is not given",
    }),
    DRBOT_RUNBOOKS: variable(z.string().default("runbooks"), {
      description: "the runbook directory, when `--runbooks` is not given",
    }),
    DRBOT_SITE: variable(z.string().optional(), {
      description: "in a pod: the site drbot runs in (`status` warns when it is the primary)",
    }),
    KUBERNETES_SERVICE_HOST: variable(z.string().optional(), {
      description: "set by Kubernetes in every pod: drbot then knows it runs in a cluster",
    }),
    LOG_LEVEL: variable(z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`).default("info"), {
      description: "the least severe log line written (JSON lines on standard error)",
    }),
    DRBOT_DEMO_STEP_SECONDS: variable(
      z.coerce
        .number("must be a number of seconds")
        .min(0, "must be 0 or more")
        .max(300, "must be at most 300")
        .default(3),
      {
        description:
          "`npm run demo`: about how long each simulated step takes, in seconds (each change to a simulated site; a replica becomes ready every half of it); 0 makes them instant",
      },
    ),
    DRBOT_K8S_BIN: variable(z.string().optional(), {
      description: "development: the local test clusters' binaries (`npm run demo -- --clusters`, the tests)",
    }),
    DRBOT_K8S_CACHE: variable(z.string().optional(), {
      description:
        "development: where scripts/k8s-build caches those binaries (default `~/.cache/drbot-k8s`)",
    }),
  })
  .superRefine((env, ctx) => {
    if (env.SLACK_BOT_TOKEN && env.MANAGEMENT_PORT === env.PORT && slackMode(env) === "http")
      ctx.addIssue({
        code: "custom",
        path: ["MANAGEMENT_PORT"],
        message: "must differ from PORT: operations endpoints never share the port Slack posts to",
      });
    const mode = slackMode(env);
    if (mode === "http" && !env.SLACK_SIGNING_SECRET)
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_SIGNING_SECRET"],
        message: "is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
      });
    if (mode === "socket" && !env.SLACK_APP_TOKEN)
      ctx.addIssue({ code: "custom", path: ["SLACK_APP_TOKEN"], message: "is required in Socket Mode" });
  });

export type EnvironmentVariables = z.output<typeof environmentSchema>;

/** The raw variables, for the few whose names the configuration gives (passwords, webhook tokens). */
export type NamedVariables = Readonly<Record<string, string | undefined>>;

export type Environment = EnvironmentVariables & {
  /**
   * Every variable by name, for the adapters that read one the configuration names (`passwordEnv`,
   * `tokenEnv`). Those hold secrets; add them to the runtime's secrets when you read one.
   */
  readonly named: NamedVariables;
};

/** How Slack is reached: HTTP (a signing secret), Socket Mode (an app token), or not at all (no bot token). */
export function slackMode(
  env: Pick<
    EnvironmentVariables,
    "SLACK_BOT_TOKEN" | "SLACK_APP_TOKEN" | "SLACK_SIGNING_SECRET" | "SLACK_SOCKET_MODE"
  >,
): "http" | "socket" | undefined {
  if (!env.SLACK_BOT_TOKEN) return undefined;
  return env.SLACK_SOCKET_MODE || (env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) ? "socket" : "http";
}

/**
 * Parses the environment. An empty variable counts as unset (`FOO=` in a manifest). Throws
 * DrError("invalid_environment") naming every variable that is wrong and why, never its value.
 */
export function parseEnvironment(raw: NamedVariables): Environment {
  const known = Object.fromEntries(
    Object.keys(environmentSchema.shape).flatMap((name) => {
      const value = raw[name];
      return value === undefined || value === "" ? [] : [[name, value]];
    }),
  );
  const parsed = environmentSchema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new DrError("invalid_environment", problems.join("; "), {
      variables: parsed.error.issues.map((issue) => issue.path.join(".")),
    });
  }
  return { ...parsed.data, named: raw };
}

/** The names of the variables marked secret: never given to a child process, even when a step asks. */
export function secretVariableNames(): string[] {
  return Object.entries(environmentSchema.shape).flatMap(([name, schema]) =>
    (schema.meta() as VariableMeta | undefined)?.secret ? [name] : [],
  );
}

/**
 * What every child process (a shell step, a DNS command hook, etcdctl, rsync) inherits from drbot's
 * environment: where programs are, the home directory, the locale, the time zone, the temporary
 * directory, the user, and the proxy settings a site needs to reach the network. Nothing else:
 * tokens and passwords stay in drbot; a step names any other variable it needs (`passEnv`).
 */
export const CHILD_VARIABLES = [
  "PATH",
  "HOME",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TZ",
  "TMPDIR",
  "USER",
  "LOGNAME",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
] as const;

/** The allow-listed part of `named` (see CHILD_VARIABLES), for a child process's environment. */
export function childEnvironment(named: NamedVariables): Record<string, string> {
  return Object.fromEntries(
    CHILD_VARIABLES.flatMap((name) => {
      const value = named[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** The values of the variables marked secret (a URL's password, for a URL), for redaction. */
export function environmentSecrets(env: EnvironmentVariables): string[] {
  return Object.entries(environmentSchema.shape).flatMap(([name, schema]) => {
    const value = (env as Record<string, unknown>)[name];
    const secret = (schema.meta() as VariableMeta | undefined)?.secret;
    if (!secret || typeof value !== "string") return [];
    if (secret === true) return [value];
    const password = URL.canParse(value) ? new URL(value).password : "";
    return password ? [password, decodeURIComponent(password)] : [];
  });
}

/** One row per variable, for the README's table (src/config/environment-reference.ts). */
export function environmentVariables(): {
  name: string;
  description: string;
  fallback?: string;
  secret: VariableMeta["secret"] | false;
}[] {
  const defaults = environmentSchema.parse({}) as Record<string, unknown>;
  return Object.entries(environmentSchema.shape).map(([name, schema]) => {
    const meta = schema.meta() as VariableMeta | undefined;
    const fallback = defaults[name];
    return {
      name,
      description: meta?.description ?? "",
      ...(fallback !== undefined ? { fallback: String(fallback) } : {}),
      secret: meta?.secret ?? false,
    };
  });
}
