import { Counter, type Registry } from "prom-client";

/**
 * drbot's Slack metrics, in the registry it is given: every Web API call, error and 429 by method
 * (through the WebClient's fetch, wrapped), and runs whose Slack updates stopped for good.
 */
export class SlackMetrics {
  private readonly calls: Counter<"method">;
  private readonly errors: Counter<"method" | "error">;
  private readonly rateLimited: Counter<"method">;
  private readonly updatesStopped: Counter<"error">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.calls = new Counter({
      name: "drbot_slack_api_calls_total",
      help: "HTTP requests to Slack's Web API (each retry counts)",
      labelNames: ["method"],
      registers,
    });
    this.errors = new Counter({
      name: "drbot_slack_api_errors_total",
      help: "Slack Web API requests that failed: platform errors (ok: false), HTTP errors, timeouts, network",
      labelNames: ["method", "error"],
      registers,
    });
    this.rateLimited = new Counter({
      name: "drbot_slack_api_rate_limited_total",
      help: "Slack Web API requests answered 429 (rate limited)",
      labelNames: ["method"],
      registers,
    });
    this.updatesStopped = new Counter({
      name: "drbot_slack_run_updates_stopped_total",
      help: "Runs whose Slack messages stopped updating because Slack refused them for good (channel gone or archived, bot removed, token revoked)",
      labelNames: ["error"],
      registers,
    });
  }

  /** Counts a run whose Slack updates stopped for good, by Slack's error code. */
  runUpdatesStopped(error: string): void {
    this.updatesStopped.inc({ error: errorLabel(error) });
  }

  /** A fetch for the Slack WebClient that counts every call, error and 429 by API method. */
  instrumentFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
    return async (input, init) => {
      const method = slackMethodOf(input);
      this.calls.inc({ method });
      let response: Response;
      try {
        response = await inner(input, init);
      } catch (error) {
        const name = error instanceof Error ? error.name : "";
        this.errors.inc({
          method,
          error: name === "TimeoutError" || name === "AbortError" ? "timeout" : "network",
        });
        throw error;
      }
      if (response.status === 429) this.rateLimited.inc({ method });
      else if (response.status !== 200) this.errors.inc({ method, error: `http_${response.status}` });
      else if ((response.headers.get("content-type") ?? "").includes("application/json")) {
        const body = (await response
          .clone()
          .json()
          .catch(
            // Labelled JSON but not JSON: no Slack error code to count; the caller sees the body.
            () => undefined,
          )) as { ok?: boolean; error?: unknown } | undefined;
        if (body?.ok === false) this.errors.inc({ method, error: errorLabel(body.error) });
      }
      return response;
    };
  }
}

/** `https://slack.com/api/chat.postMessage` → chat.postMessage; upload URLs → file_upload; response_url. */
export function slackMethodOf(input: string | URL | Request): string {
  const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  let path = "";
  try {
    path = new URL(raw).pathname;
  } catch {
    // Not a URL fetch could have been given: counted under "unknown" rather than guessed at.
    return "unknown";
  }
  const api = /\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  if (api) return api[1]!;
  if (/upload/.test(path)) return "file_upload";
  // Slack's response_url endpoints (hooks.slack.com/commands|actions/…, the emulator's /response/…).
  return /\/(commands|actions|response)\//.test(path) ? "response_url" : "other";
}

/** Slack's error codes are snake_case words; anything else is not trusted as a label value. */
function errorLabel(error: unknown): string {
  return typeof error === "string" && /^[a-z0-9_]{1,64}$/.test(error) ? error : "other";
}
