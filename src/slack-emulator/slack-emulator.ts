import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { validateBlocks } from "./block-kit-validation.js";

/**
 * drbot's own Slack: the Web API methods the bot calls, messages kept per channel and thread with
 * every edit, slash commands and button clicks delivered exactly as Slack sends them (form-encoded,
 * signed, with response_url and trigger_id), the 3-second ack enforced, Block Kit limits answered
 * with `invalid_blocks`, rate limits with 429 and Retry-After, and Socket Mode over WebSocket.
 * Used by the tests and the demo; binds 127.0.0.1 only.
 */

export interface EmulatedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  user: string;
  text: string;
  blocks: unknown[];
  /** Every version the message had, oldest first (the first is the post). */
  versions: { text: string; blocks: unknown[]; at: number }[];
  deleted?: boolean;
}

export interface EmulatedEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  at: number;
  via: "chat.postEphemeral" | "response_url";
}

export interface DeliveryResult {
  status: number;
  body: string;
  ackMs: number;
  timedOut: boolean;
}

export interface EmulatorOptions {
  mode: "http" | "socket";
  /** Where the app listens (HTTP mode), e.g. http://127.0.0.1:PORT/slack/events. */
  requestUrl?: string;
  signingSecret?: string;
  botToken?: string;
  appToken?: string;
  teamId?: string;
  users?: Record<string, { name: string; realName?: string }>;
  usergroups?: Record<string, string[]>;
  channels?: Record<string, { name: string }>;
  ackDeadlineMs?: number;
}

interface RateLimit {
  /** Calls allowed per window, per channel. */
  limit: number;
  windowMs: number;
  retryAfterSec: number;
  recent: Map<string, number[]>;
}

interface ResponseUrl {
  channel: string;
  user: string;
  messageTs?: string;
  uses: number;
  expiresAt: number;
}

export class SlackEmulator {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly teamId: string;
  readonly botUserId = "UBOTDRBOT";
  readonly botId = "BDRBOT";
  private server?: Server;
  private wss?: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private base = "";
  private readonly messages = new Map<string, EmulatedMessage[]>();
  private readonly ephemeralList: EmulatedEphemeral[] = [];
  private readonly calls = new Map<string, number>();
  private readonly limits = new Map<string, RateLimit>();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly pendingAcks = new Map<string, (payload: unknown) => void>();
  private tsCounter = 0;
  readonly rateLimited: { method: string; at: number }[] = [];
  readonly invalidBlocks: { method: string; errors: string[] }[] = [];
  readonly deliveries: (DeliveryResult & { kind: string })[] = [];

  constructor(private readonly options: EmulatorOptions) {
    this.signingSecret = options.signingSecret ?? "emulator-signing-secret";
    this.botToken = options.botToken ?? "xoxb-emulator-bot-token";
    this.appToken = options.appToken ?? "xapp-emulator-app-token";
    this.teamId = options.teamId ?? "T0EMULATOR";
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  setRequestUrl(url: string): void {
    this.options.requestUrl = url;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/link")) return socket.destroy();
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ── what tests look at ───────────────────────────────────────────────────────────────────────────

  channelMessages(channel: string): EmulatedMessage[] {
    return (this.messages.get(channel) ?? []).filter((m) => !m.threadTs && !m.deleted);
  }

  thread(channel: string, ts: string): EmulatedMessage[] {
    return (this.messages.get(channel) ?? []).filter((m) => m.threadTs === ts && !m.deleted);
  }

  message(channel: string, ts: string): EmulatedMessage | undefined {
    return (this.messages.get(channel) ?? []).find((m) => m.ts === ts);
  }

  ephemerals(user?: string): EmulatedEphemeral[] {
    return this.ephemeralList.filter((e) => user === undefined || e.user === user);
  }

  callCount(method?: string): number {
    if (method) return this.calls.get(method) ?? 0;
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  resetCounts(): void {
    this.calls.clear();
  }

  /** Limits a method to `limit` calls per window per channel; more get 429 with Retry-After. */
  rateLimit(method: string, limit: { limit: number; windowMs: number; retryAfterSec?: number }): void {
    this.limits.set(method, { ...limit, retryAfterSec: limit.retryAfterSec ?? 1, recent: new Map() });
  }

  clearRateLimits(): void {
    this.limits.clear();
  }

  // ── interactions, as Slack sends them ───────────────────────────────────────────────────────────

  async sendSlashCommand(input: {
    userId: string;
    channelId: string;
    text: string;
    command?: string;
    retry?: number;
  }): Promise<DeliveryResult> {
    const responseUrl = this.newResponseUrl(input.channelId, input.userId);
    const payload: Record<string, string> = {
      token: "emulator-verification-token",
      team_id: this.teamId,
      team_domain: "emulator",
      channel_id: input.channelId,
      channel_name: this.options.channels?.[input.channelId]?.name ?? input.channelId.toLowerCase(),
      user_id: input.userId,
      user_name: this.options.users?.[input.userId]?.name ?? input.userId.toLowerCase(),
      command: input.command ?? "/dr",
      text: input.text,
      api_app_id: "A0DRBOT",
      is_enterprise_install: "false",
      response_url: responseUrl,
      trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    };
    const body = new URLSearchParams(payload).toString();
    return this.deliver("slash_commands", body, payload, input.retry);
  }

  async sendBlockAction(input: {
    userId: string;
    channelId: string;
    messageTs: string;
    actionId: string;
    value: string;
    blockId?: string;
  }): Promise<DeliveryResult> {
    const message = this.message(input.channelId, input.messageTs);
    const responseUrl = this.newResponseUrl(input.channelId, input.userId, input.messageTs);
    const payload = {
      type: "block_actions",
      user: {
        id: input.userId,
        username: this.options.users?.[input.userId]?.name ?? input.userId.toLowerCase(),
        team_id: this.teamId,
      },
      api_app_id: "A0DRBOT",
      token: "emulator-verification-token",
      container: {
        type: "message",
        message_ts: input.messageTs,
        channel_id: input.channelId,
        is_ephemeral: false,
      },
      trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
      team: { id: this.teamId, domain: "emulator" },
      channel: {
        id: input.channelId,
        name: this.options.channels?.[input.channelId]?.name ?? input.channelId.toLowerCase(),
      },
      message: message
        ? { type: "message", ts: message.ts, text: message.text, blocks: message.blocks, user: message.user }
        : undefined,
      response_url: responseUrl,
      actions: [
        {
          type: "button",
          action_id: input.actionId,
          block_id: input.blockId ?? "emulated",
          value: input.value,
          action_ts: `${Date.now() / 1000}`,
          text: { type: "plain_text", text: input.actionId },
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.deliver("interactive", body, payload);
  }

  /** Finds the button with `actionId` (prefix) on a message and clicks it as `userId`. */
  async click(
    userId: string,
    channel: string,
    ts: string,
    actionId: string,
    valueIncludes?: string,
  ): Promise<DeliveryResult> {
    const message = this.message(channel, ts);
    if (!message) throw new Error(`no message ${ts} in ${channel}`);
    for (const block of message.blocks as {
      type: string;
      block_id?: string;
      elements?: { type: string; action_id?: string; value?: string }[];
    }[]) {
      if (block.type !== "actions") continue;
      for (const el of block.elements ?? []) {
        if (
          el.action_id?.startsWith(actionId) &&
          (valueIncludes === undefined || el.value?.includes(valueIncludes))
        ) {
          return this.sendBlockAction({
            userId,
            channelId: channel,
            messageTs: ts,
            actionId: el.action_id,
            value: el.value ?? "",
            ...(block.block_id ? { blockId: block.block_id } : {}),
          });
        }
      }
    }
    throw new Error(`no button ${actionId} on message ${ts}`);
  }

  /** Signs a body as Slack does (v0, HMAC-SHA256 over "v0:timestamp:body"). */
  sign(
    body: string,
    timestamp = Math.floor(Date.now() / 1000),
    secret = this.signingSecret,
  ): { "x-slack-signature": string; "x-slack-request-timestamp": string } {
    const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    return { "x-slack-signature": signature, "x-slack-request-timestamp": String(timestamp) };
  }

  /** Posts a raw body to the app with the given headers (forged or replayed requests in tests). */
  async postRaw(body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const response = await fetch(this.options.requestUrl!, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.text() };
  }

  private async deliver(
    kind: "slash_commands" | "interactive",
    body: string,
    payload: unknown,
    retry?: number,
  ): Promise<DeliveryResult> {
    const deadline = this.options.ackDeadlineMs ?? 3_000;
    const started = performance.now();
    let result: DeliveryResult;
    if (this.options.mode === "socket") {
      result = await this.deliverOverSocket(kind, payload, deadline, started);
    } else {
      const headers: Record<string, string> = {
        "content-type": "application/x-www-form-urlencoded",
        ...this.sign(body),
      };
      if (retry)
        Object.assign(headers, {
          "x-slack-retry-num": String(retry),
          "x-slack-retry-reason": "http_timeout",
        });
      try {
        const response = await fetch(this.options.requestUrl!, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        const ackMs = performance.now() - started;
        result = { status: response.status, body: text, ackMs, timedOut: ackMs > deadline };
      } catch {
        result = { status: 0, body: "", ackMs: performance.now() - started, timedOut: true };
      }
    }
    this.deliveries.push({ ...result, kind });
    return result;
  }

  private deliverOverSocket(
    kind: string,
    payload: unknown,
    deadline: number,
    started: number,
  ): Promise<DeliveryResult> {
    const ws = [...this.sockets][0];
    if (!ws) return Promise.resolve({ status: 0, body: "no socket connected", ackMs: 0, timedOut: true });
    const envelopeId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        resolve({ status: 0, body: "", ackMs: performance.now() - started, timedOut: true });
      }, 10_000);
      this.pendingAcks.set(envelopeId, (ackPayload) => {
        clearTimeout(timer);
        const ackMs = performance.now() - started;
        resolve({ status: 200, body: JSON.stringify(ackPayload ?? {}), ackMs, timedOut: ackMs > deadline });
      });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type: kind,
          accepts_response_payload: kind === "slash_commands",
          payload,
        }),
      );
    });
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("message", (data) => {
      try {
        const frame = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (frame.envelope_id) this.pendingAcks.get(frame.envelope_id)?.(frame.payload);
        if (frame.envelope_id) this.pendingAcks.delete(frame.envelope_id);
      } catch {
        // Not a frame we understand; Slack ignores those too.
      }
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.sockets.size,
        debug_info: { host: "emulator", approximate_connection_time: 3600 },
        connection_info: { app_id: "A0DRBOT" },
      }),
    );
  }

  /** Resolves once an app is connected over Socket Mode. */
  async socketConnected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size === 0) {
      if (Date.now() > deadline) throw new Error("no Socket Mode connection");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ── HTTP routing ───────────────────────────────────────────────────────────────────────────────

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.base);
    const raw = await readBody(req);
    try {
      if (url.pathname.startsWith("/api/")) return this.api(url.pathname.slice(5), req, raw, res);
      if (url.pathname.startsWith("/response/")) return this.respondUrl(url.pathname.slice(10), raw, res);
      res.writeHead(404).end();
    } catch (error) {
      json(res, 500, { ok: false, error: "internal_error", detail: String(error) });
    }
  }

  private api(method: string, req: IncomingMessage, raw: string, res: ServerResponse): undefined {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const args = parseArgs(req.headers["content-type"] ?? "", raw);
    const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "") || String(args.token ?? "");
    if (!token) return json(res, 200, { ok: false, error: "not_authed" });
    const isApp = method === "apps.connections.open";
    if ((isApp && token !== this.appToken) || (!isApp && token !== this.botToken))
      return json(res, 200, { ok: false, error: "invalid_auth" });
    const limit = this.limits.get(method);
    if (limit) {
      const key = String(args.channel ?? "*");
      const now = Date.now();
      const recent = (limit.recent.get(key) ?? []).filter((t) => now - t < limit.windowMs);
      if (recent.length >= limit.limit) {
        this.rateLimited.push({ method, at: now });
        res
          .writeHead(429, { "retry-after": String(limit.retryAfterSec), "content-type": "application/json" })
          .end(JSON.stringify({ ok: false, error: "ratelimited" }));
        return;
      }
      recent.push(now);
      limit.recent.set(key, recent);
    }
    const blocks =
      args.blocks === undefined
        ? undefined
        : typeof args.blocks === "string"
          ? safeJson(args.blocks)
          : args.blocks;
    if (blocks !== undefined && ["chat.postMessage", "chat.update", "chat.postEphemeral"].includes(method)) {
      const errors = validateBlocks(blocks);
      if (errors.length > 0) {
        this.invalidBlocks.push({ method, errors });
        return json(res, 200, {
          ok: false,
          error: "invalid_blocks",
          errors,
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        });
      }
    }
    const text = typeof args.text === "string" ? args.text : "";
    if (["chat.postMessage", "chat.update"].includes(method) && text.length > 40_000)
      return json(res, 200, { ok: false, error: "msg_too_long" });
    switch (method) {
      case "auth.test":
        return json(res, 200, {
          ok: true,
          url: "https://emulator.slack.test/",
          team: "Emulator",
          user: "drbot",
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        });
      case "apps.connections.open":
        return json(res, 200, {
          ok: true,
          url: `${this.base.replace("http", "ws")}/link/?ticket=${randomUUID()}&app_id=A0DRBOT`,
        });
      case "chat.postMessage": {
        const channel = String(args.channel ?? "");
        if (!channel) return json(res, 200, { ok: false, error: "channel_not_found" });
        if (!text && blocks === undefined) return json(res, 200, { ok: false, error: "no_text" });
        const message = this.post(
          channel,
          text,
          (blocks as unknown[]) ?? [],
          typeof args.thread_ts === "string" ? args.thread_ts : undefined,
        );
        return json(res, 200, {
          ok: true,
          channel,
          ts: message.ts,
          message: { type: "message", text, ts: message.ts, bot_id: this.botId },
        });
      }
      case "chat.update": {
        const channel = String(args.channel ?? "");
        const message = this.message(channel, String(args.ts ?? ""));
        if (!message) return json(res, 200, { ok: false, error: "message_not_found" });
        message.text = text || message.text;
        message.blocks = (blocks as unknown[]) ?? message.blocks;
        message.versions.push({ text: message.text, blocks: message.blocks, at: Date.now() });
        return json(res, 200, { ok: true, channel, ts: message.ts, text: message.text });
      }
      case "chat.delete": {
        const message = this.message(String(args.channel ?? ""), String(args.ts ?? ""));
        if (!message) return json(res, 200, { ok: false, error: "message_not_found" });
        message.deleted = true;
        return json(res, 200, { ok: true, channel: message.channel, ts: message.ts });
      }
      case "chat.postEphemeral": {
        const channel = String(args.channel ?? "");
        const user = String(args.user ?? "");
        if (!user) return json(res, 200, { ok: false, error: "user_not_found" });
        this.ephemeralList.push({
          channel,
          user,
          text,
          blocks: (blocks as unknown[]) ?? [],
          at: Date.now(),
          via: "chat.postEphemeral",
        });
        return json(res, 200, { ok: true, message_ts: this.nextTs() });
      }
      case "conversations.info": {
        const channel = String(args.channel ?? "");
        const info = this.options.channels?.[channel];
        if (!info) return json(res, 200, { ok: false, error: "channel_not_found" });
        return json(res, 200, {
          ok: true,
          channel: { id: channel, name: info.name, is_channel: true, is_member: true },
        });
      }
      case "conversations.history":
        return json(res, 200, {
          ok: true,
          messages: this.channelMessages(String(args.channel ?? ""))
            .map(toApiMessage)
            .reverse(),
          has_more: false,
        });
      case "conversations.replies":
        return json(res, 200, {
          ok: true,
          messages: this.thread(String(args.channel ?? ""), String(args.ts ?? "")).map(toApiMessage),
          has_more: false,
        });
      case "users.info": {
        const user = String(args.user ?? "");
        const info = this.options.users?.[user];
        if (!info) return json(res, 200, { ok: false, error: "user_not_found" });
        return json(res, 200, {
          ok: true,
          user: { id: user, name: info.name, real_name: info.realName ?? info.name, team_id: this.teamId },
        });
      }
      case "usergroups.users.list": {
        const group = String(args.usergroup ?? "");
        const users = this.options.usergroups?.[group];
        if (!users) return json(res, 200, { ok: false, error: "no_such_subteam" });
        return json(res, 200, { ok: true, users });
      }
      default:
        return json(res, 200, { ok: false, error: "unknown_method" });
    }
  }

  private respondUrl(id: string, raw: string, res: ServerResponse): undefined {
    const entry = this.responseUrls.get(id);
    if (!entry) return void res.writeHead(404).end("invalid_token");
    if (Date.now() > entry.expiresAt || entry.uses >= 5) return void res.writeHead(404).end("expired_url");
    entry.uses++;
    const body = safeJson(raw) as
      | {
          text?: string;
          blocks?: unknown[];
          response_type?: string;
          replace_original?: boolean;
          delete_original?: boolean;
          thread_ts?: string;
        }
      | undefined;
    if (!body) return void res.writeHead(400).end("invalid_payload");
    if (body.blocks) {
      const errors = validateBlocks(body.blocks);
      if (errors.length > 0) return void res.writeHead(400).end("invalid_blocks");
    }
    if (body.delete_original && entry.messageTs) {
      const message = this.message(entry.channel, entry.messageTs);
      if (message) message.deleted = true;
    } else if (body.replace_original && entry.messageTs) {
      const message = this.message(entry.channel, entry.messageTs);
      if (message) {
        message.text = body.text ?? message.text;
        message.blocks = body.blocks ?? message.blocks;
        message.versions.push({ text: message.text, blocks: message.blocks, at: Date.now() });
      }
    } else if (body.response_type === "in_channel") {
      this.post(entry.channel, body.text ?? "", body.blocks ?? [], body.thread_ts);
    } else {
      this.ephemeralList.push({
        channel: entry.channel,
        user: entry.user,
        text: body.text ?? "",
        blocks: body.blocks ?? [],
        at: Date.now(),
        via: "response_url",
      });
    }
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  }

  private newResponseUrl(channel: string, user: string, messageTs?: string): string {
    const id = randomUUID();
    this.responseUrls.set(id, {
      channel,
      user,
      ...(messageTs ? { messageTs } : {}),
      uses: 0,
      expiresAt: Date.now() + 30 * 60_000,
    });
    return `${this.base}/response/${id}`;
  }

  private post(channel: string, text: string, blocks: unknown[], threadTs?: string): EmulatedMessage {
    const message: EmulatedMessage = {
      channel,
      ts: this.nextTs(),
      ...(threadTs ? { threadTs } : {}),
      user: this.botUserId,
      text,
      blocks,
      versions: [{ text, blocks, at: Date.now() }],
    };
    const list = this.messages.get(channel) ?? [];
    list.push(message);
    this.messages.set(channel, list);
    return message;
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, "0")}`;
  }
}

function toApiMessage(m: EmulatedMessage) {
  return {
    type: "message",
    ts: m.ts,
    text: m.text,
    blocks: m.blocks,
    user: m.user,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return (safeJson(raw) as Record<string, unknown>) ?? {};
  return Object.fromEntries(new URLSearchParams(raw));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Answers with JSON; returns undefined so handlers can `return json(…)` in one line. */
function json(res: ServerResponse, status: number, body: unknown): undefined {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
  return undefined;
}
