import type { IncomingMessage, ServerResponse } from "node:http";
import { CHAT_METHODS } from "./chat-methods.js";
import { CONVERSATION_METHODS } from "./conversation-methods.js";
import type { ResolvedOptions } from "./emulator-options.js";
import type { EventLog } from "./event-log.js";
import { FaultInjector } from "./fault-injector.js";
import { FILE_METHODS } from "./file-methods.js";
import { IDENTITY_METHODS } from "./identity-methods.js";
import { RateLimiter } from "./rate-limiter.js";
import { VIEW_METHODS } from "./view-methods.js";
import type { ViewState } from "./view-state.js";
import { type ApiReply, fail, type WebApiMethod } from "./web-api-method.js";
import { parseApiCall, stringArg } from "./web-api-request.js";
import type { WorkspaceState } from "./workspace-state.js";

const METHODS: Record<string, WebApiMethod> = {
  ...CHAT_METHODS,
  ...CONVERSATION_METHODS,
  ...IDENTITY_METHODS,
  ...FILE_METHODS,
  ...VIEW_METHODS,
};

export const SUPPORTED_METHODS = Object.keys(METHODS).sort();

/**
 * The Web API's front door, in Slack's order: count the call, injected faults, parse, method
 * lookup, token (not_authed / invalid_auth / not_allowed_token_type), rate limit (429 +
 * Retry-After), then the method. Every answer is HTTP 200 with `{ok…}` except 429 and injected
 * statuses, as on Slack.
 */
export class WebApiDispatcher {
  readonly rateLimiter: RateLimiter;
  readonly faults = new FaultInjector();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly deps: {
      options: ResolvedOptions;
      state: WorkspaceState;
      views: ViewState;
      log: EventLog;
      baseUrl: () => string;
      openSocketUrl: () => string;
    },
  ) {
    this.rateLimiter = new RateLimiter(deps.options.now);
  }

  callCount(method?: string): number {
    if (method !== undefined) return this.counts.get(method) ?? 0;
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  resetCallCounts(): void {
    this.counts.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<void> {
    const name = decodeURIComponent(url.pathname.slice("/api/".length));
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    const fault = this.faults.take(name);
    if (fault && "delayMs" in fault)
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
    if (fault && "status" in fault) {
      this.deps.log.record({ type: "api_call", method: name, status: fault.status, ok: false });
      res.writeHead(fault.status, { "content-type": "text/plain" }).end("injected failure");
      return;
    }
    const injectedError = fault && "error" in fault ? fault.error : undefined;
    const { reply, status, retryAfterSec } = await this.answer(name, req, url, raw, injectedError);
    const error = reply.ok ? undefined : String(reply.error);
    this.deps.log.record({
      type: "api_call",
      method: name,
      status,
      ok: reply.ok,
      ...(error ? { error } : {}),
    });
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (retryAfterSec !== undefined) headers["retry-after"] = String(retryAfterSec);
    res.writeHead(status, headers).end(JSON.stringify(reply));
  }

  private async answer(
    name: string,
    req: IncomingMessage,
    url: URL,
    raw: Buffer,
    injectedError: string | undefined,
  ): Promise<{ reply: ApiReply; status: number; retryAfterSec?: number }> {
    const method = METHODS[name];
    if (!method) return { reply: fail("unknown_method"), status: 200 };
    const call = await parseApiCall(req, url, raw);
    if (!call.ok) return { reply: fail(call.error), status: 200 };
    const { options } = this.deps;
    if (!call.token) return { reply: fail("not_authed"), status: 200 };
    const kind =
      call.token === options.botToken ? "bot" : call.token === options.appToken ? "app" : undefined;
    if (!kind) return { reply: fail("invalid_auth"), status: 200 };
    if (kind !== method.token) return { reply: fail("not_allowed_token_type"), status: 200 };
    const admission = this.rateLimiter.admit(name, stringArg(call.args, "channel"));
    if (!admission.admitted)
      return { reply: fail("ratelimited"), status: 429, retryAfterSec: admission.retryAfterSec };
    if (injectedError) return { reply: fail(injectedError), status: 200 };
    const reply = await method.handle({
      args: call.args,
      options,
      state: this.deps.state,
      views: this.deps.views,
      baseUrl: this.deps.baseUrl(),
      openSocketUrl: this.deps.openSocketUrl,
    });
    return { reply, status: 200 };
  }
}
