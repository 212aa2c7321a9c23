import type { NamedVariables } from "../../config/environment.js";
import type { DnsProviderConfig } from "../../domain/config.js";
import type { DnsWeights } from "../../domain/dns-weights.js";
import { DrError } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";
import type { DnsProvider, DnsRequestOptions } from "../../ports/dns.js";
import { parseReportedWeights, toWeightsDocument } from "./weights-document.js";

type WebhookConfig = Extract<DnsProviderConfig, { kind: "webhook" }>;

/**
 * DNS through an HTTP endpoint: POST the desired weights as drbot's JSON document, GET them back.
 * Every request (headers and body) runs under the provider's timeout and the caller's signal. The
 * bearer token comes from the environment variable the configuration names; it goes only into the
 * Authorization header, never into a message.
 */
export class WebhookDnsProvider implements DnsProvider {
  readonly kind = "webhook" as const;
  readonly description: string;
  private readonly token: string | undefined;

  constructor(
    private readonly config: WebhookConfig,
    /** The variables the configuration names (its `tokenEnv`). */
    env: NamedVariables,
  ) {
    this.description = `webhook ${safeUrl(config.url)}`;
    if (config.tokenEnv) {
      const token = env[config.tokenEnv];
      if (!token)
        throw new DrError(
          "invalid_config",
          `dns.provider.tokenEnv names ${config.tokenEnv}, which is not set in the environment`,
        );
      this.token = token;
    }
  }

  async readWeights(records: readonly string[], options: DnsRequestOptions = {}): Promise<DnsWeights> {
    const url = this.config.readUrl ?? this.config.url;
    const text = await this.request("read the DNS weights", url, { method: "GET" }, options);
    return parseReportedWeights(text, records, `the DNS webhook ${safeUrl(url)}`);
  }

  async applyWeights(desired: DnsWeights, options: DnsRequestOptions = {}): Promise<void> {
    await this.request(
      "apply the DNS weights",
      this.config.url,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(toWeightsDocument(desired)),
      },
      options,
    );
  }

  private async request(
    what: string,
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
    options: DnsRequestOptions,
  ): Promise<string> {
    const timeout = AbortSignal.timeout(this.config.timeout);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const where = `could not ${what} at ${safeUrl(url)}`;
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    try {
      const response = await fetch(url, { ...init, headers, signal, redirect: "error" });
      // The body is read under the same signal: a server that sends headers and stalls still ends.
      const text = await response.text();
      if (!response.ok) {
        const detail = this.clean(text.trim().split("\n")[0] ?? "").slice(0, 200);
        throw new DrError(
          response.status === 401 || response.status === 403 ? "forbidden" : "step_failed",
          `${where}: HTTP ${response.status}${detail ? ` ${detail}` : ""}`,
        );
      }
      return text;
    } catch (error) {
      if (error instanceof DrError) throw error;
      if (timeout.aborted)
        throw new DrError("timeout", `${where}: no answer within ${this.config.timeout} ms`);
      if (signal.aborted) throw new DrError("timeout", `${where}: stopped (step aborted or out of time)`);
      throw new DrError("unavailable", `${where}: ${this.clean(reasonOf(error))}`);
    }
  }

  private clean(text: string): string {
    return redact(text, this.token ? [this.token] : []);
  }
}

/** Scheme, host and path: no credentials in the URL, no query string (it may carry a key). */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function reasonOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code ? `${code} (${message.split("\n")[0]})` : (message.split("\n")[0] ?? "");
}
