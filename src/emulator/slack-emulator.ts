import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ResolvedOptions, resolveOptions, type SlackEmulatorOptions } from "./emulator-options.js";
import { routeEmulatorRequest } from "./emulator-routes.js";
import { type EmulatorEvent, EventLog, type LoggedEvent } from "./event-log.js";
import type { InjectedFault } from "./fault-injector.js";
import { HttpDelivery } from "./http-delivery.js";
import type { BlockActionInput, SlashCommandInput } from "./interaction-payloads.js";
import { type DeliveryOptions, type InteractionResult, InteractionSender } from "./interaction-sender.js";
import type { RateLimitRule } from "./rate-limiter.js";
import { type SigningForgery, signatureHeaders } from "./request-signing.js";
import { ResponseUrls } from "./response-urls.js";
import { SocketModeServer } from "./socket-mode-server.js";
import {
  ViewInteractions,
  type ViewSubmissionInput,
  type ViewSubmissionResult,
} from "./view-interactions.js";
import { type StoredView, ViewState } from "./view-state.js";
import { type WaitOptions, waitForCondition } from "./wait-for-condition.js";
import { WebApiDispatcher } from "./web-api-dispatcher.js";
import { WebPage } from "./web-page.js";
import {
  type MessageVersion,
  type StoredEphemeral,
  type StoredFile,
  type StoredMessage,
  WorkspaceState,
} from "./workspace-state.js";

export type { AppAck } from "./app-ack.js";
export type {
  EmulatedChannel,
  EmulatedUser,
  EmulatedUsergroup,
  SlackEmulatorOptions,
} from "./emulator-options.js";
export type { DeliveryOutcome, EmulatorEvent, LoggedEvent } from "./event-log.js";
export type { InjectedFault } from "./fault-injector.js";
export type { BlockActionInput, SlashCommandInput } from "./interaction-payloads.js";
export type { DeliveryOptions, InteractionResult } from "./interaction-sender.js";
export type { RateLimitRule } from "./rate-limiter.js";
export type { SigningForgery } from "./request-signing.js";
export type { ViewOutcome, ViewSubmissionInput, ViewSubmissionResult } from "./view-interactions.js";
export type { StoredView } from "./view-state.js";
export type { WaitOptions } from "./wait-for-condition.js";
export type { WebPageOptions } from "./web-page.js";
export type { MessageVersion, StoredEphemeral, StoredFile, StoredMessage } from "./workspace-state.js";

/**
 * drbot's own Slack, for tests and benchmarks. The bot reaches it through the real @slack/bolt and
 * @slack/web-api with only the base URL changed (`slackApiUrl: emulator.apiUrl`). It keeps the
 * workspace's messages (with every edit), answers the Web API with Slack's errors, limits and
 * 429s, and delivers slash commands and button clicks exactly as Slack does, over signed HTTP or
 * Socket Mode, measuring the app's ack against Slack's 3-second deadline. Binds 127.0.0.1 only.
 */
export class SlackEmulator {
  readonly options: ResolvedOptions;
  private readonly log: EventLog;
  private readonly state: WorkspaceState;
  private readonly api: WebApiDispatcher;
  private readonly responseUrls: ResponseUrls;
  private readonly sockets: SocketModeServer;
  private readonly interactions: InteractionSender;
  private readonly viewActions: ViewInteractions;
  /** Open modals and Home tabs, per person (read-only for tests: `views.modal(userId)`, `views.home(userId)`). */
  readonly views: ViewState;
  private readonly http = new HttpDelivery();
  private readonly page?: WebPage;
  private server?: Server;
  private origin = "";

  constructor(options: SlackEmulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.log = new EventLog(this.options.now);
    this.state = new WorkspaceState(this.options.now, this.log);
    this.views = new ViewState(this.options.now, this.log, this.options.triggerTtlMs);
    const baseUrl = () => this.baseUrl;
    this.sockets = new SocketModeServer({
      appId: this.options.appId,
      log: this.log,
      timing: this.options,
    });
    this.api = new WebApiDispatcher({
      options: this.options,
      state: this.state,
      views: this.views,
      log: this.log,
      baseUrl,
      openSocketUrl: () => this.sockets.issueUrl(this.baseUrl),
    });
    this.responseUrls = new ResponseUrls({
      options: this.options,
      state: this.state,
      log: this.log,
      baseUrl,
    });
    this.interactions = new InteractionSender({
      options: this.options,
      state: this.state,
      log: this.log,
      responseUrls: this.responseUrls,
      sockets: this.sockets,
      http: this.http,
      views: this.views,
    });
    this.viewActions = new ViewInteractions({
      options: this.options,
      views: this.views,
      sender: this.interactions,
    });
    const webPage = this.options.webPage;
    if (webPage)
      this.page = new WebPage({
        options: { ...this.options, webPage },
        state: this.state,
        log: this.log,
        sendSlashCommand: (input) => this.interactions.sendSlashCommand(input),
        sendBlockAction: (input) => this.interactions.sendBlockAction(input),
        views: this.views,
        viewActions: this.viewActions,
      });
  }

  get botToken(): string {
    return this.options.botToken;
  }
  get appToken(): string {
    return this.options.appToken;
  }
  get signingSecret(): string {
    return this.options.signingSecret;
  }
  get botUserId(): string {
    return this.options.botUserId;
  }
  get botId(): string {
    return this.options.botId;
  }
  get teamId(): string {
    return this.options.teamId;
  }

  /** http://127.0.0.1:PORT once started. */
  get baseUrl(): string {
    if (!this.origin) throw new Error("the Slack emulator is not started");
    return this.origin;
  }

  /** What to pass as WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** Where HTTP-mode interactions go (the app's Request URL). */
  setRequestUrl(url: string): void {
    this.options.requestUrl = url;
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────────

  /** Listens on 127.0.0.1 on `port` (a free one by default) and returns the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer(
      (req, res) =>
        void routeEmulatorRequest(req, res, {
          origin: this.origin,
          api: this.api,
          responseUrls: this.responseUrls,
          state: this.state,
          ...(this.page ? { page: this.page } : {}),
        }),
    );
    server.on("upgrade", (req, socket, head) => this.sockets.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  /** Closes the server, every WebSocket and every kept-alive connection. */
  async stop(): Promise<void> {
    this.http.close();
    await this.sockets.close();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ── the workspace as tests see it ─────────────────────────────────────────────────────────────

  /** Top-level messages in a channel, oldest first, without deleted ones. */
  messages(channel: string): StoredMessage[] {
    return this.state.topLevel(channel);
  }

  /** Replies in the thread under `ts`, oldest first, without the parent. */
  thread(channel: string, ts: string): StoredMessage[] {
    return this.state.replies(channel, ts);
  }

  /** One message, deleted or not. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.state.find(channel, ts);
  }

  /** Every version a message had, oldest first (the post, then each edit). */
  versions(channel: string, ts: string): MessageVersion[] {
    return this.state.find(channel, ts)?.versions ?? [];
  }

  lastVersion(channel: string, ts: string): MessageVersion | undefined {
    return this.versions(channel, ts).at(-1);
  }

  /** Ephemerals still shown, oldest first; every user's when `userId` is left out. */
  ephemerals(userId?: string): StoredEphemeral[] {
    return this.state.ephemerals(userId);
  }

  files(): StoredFile[] {
    return [...this.state.files.values()].filter((f) => f.completed);
  }

  /** Posts a message as a human (for history, threads, and replies the bot should see). */
  postUserMessage(channel: string, userId: string, text: string, threadTs?: string): StoredMessage {
    return this.state.post({
      channel,
      userId,
      text,
      blocks: [],
      ...(threadTs ? { threadTs } : {}),
      via: "user",
    });
  }

  events<T extends EmulatorEvent["type"]>(type?: T): Extract<LoggedEvent, { type: T }>[] {
    return this.log.list(type);
  }

  // ── traffic: counts, rate limits, faults ──────────────────────────────────────────────────────

  /** Calls received for a method (every call, refused ones included), or for all methods. */
  callCount(method?: string): number {
    return this.api.callCount(method);
  }

  callCounts(): Record<string, number> {
    return this.api.callCounts();
  }

  resetCallCounts(): void {
    this.api.resetCallCounts();
  }

  /** From now on, calls over the rule's rate get HTTP 429 with Retry-After. */
  rateLimit(method: string, rule: RateLimitRule): void {
    this.api.rateLimiter.set(method, rule);
  }

  clearRateLimits(method?: string): void {
    this.api.rateLimiter.clear(method);
  }

  /** The next `times` calls of `method` fail with an HTTP status or a platform error, or answer late. */
  failNext(method: string, fault: InjectedFault, times = 1): void {
    this.api.faults.failNext(method, fault, times);
  }

  /** Forgets every planned fault. */
  clearFaults(): void {
    this.api.faults.clear();
  }

  /** How many accepted posts a response_url has had. */
  responseUrlUses(url: string): number {
    return this.responseUrls.uses(url);
  }

  // ── interactions, delivered as Slack delivers them ────────────────────────────────────────────

  sendSlashCommand(input: SlashCommandInput & DeliveryOptions): Promise<InteractionResult> {
    return this.interactions.sendSlashCommand(input);
  }

  /**
   * Clicks a component on a message: the element is looked up by action_id in the message's
   * current blocks (its block_id, text, value and style are echoed as Slack does).
   */
  sendBlockAction(input: BlockActionInput & DeliveryOptions): Promise<InteractionResult> {
    return this.interactions.sendBlockAction(input);
  }

  /** Submits a person's modal (view_submission); the app's ack closes it, shows errors, updates or pushes. */
  submitView(input: ViewSubmissionInput & DeliveryOptions): Promise<ViewSubmissionResult> {
    return this.viewActions.submit(input);
  }

  /** Closes a person's modal; view_closed reaches the app when the view asked (notify_on_close). */
  closeView(
    input: { userId: string; viewId?: string } & DeliveryOptions,
  ): Promise<InteractionResult | undefined> {
    return this.viewActions.close(input);
  }

  /** A person opens the app's Home tab: `app_home_opened` over the Events API (signed JSON, or Socket Mode). */
  openAppHome(input: { userId: string } & DeliveryOptions): Promise<InteractionResult> {
    return this.viewActions.openHome(input);
  }

  /** Slack's url_verification of the events URL: ok when the app echoes the challenge. */
  verifyEventsUrl(): Promise<{ ok: boolean; result: InteractionResult }> {
    return this.viewActions.verifyEventsUrl();
  }

  /** Resolves with the person's top modal once `match` holds for it (any modal when left out). */
  waitForModal(userId: string, match = (_: StoredView) => true, options: WaitOptions = {}) {
    const probe = () => [this.views.modal(userId)].find((m) => m && match(m));
    return this.waitFor(probe, { description: `a modal open for ${userId}`, ...options });
  }

  /**
   * Sends an earlier interaction again, as a retry: `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`
   * over HTTP, `retry_attempt` / `retry_reason` in Socket Mode. Same payload, fresh signature.
   */
  redeliver(
    previous: InteractionResult,
    options: { reason?: string } & DeliveryOptions = {},
  ): Promise<InteractionResult> {
    return this.interactions.redeliver(previous, options);
  }

  /** Signature headers for a body, as Slack would send them (or forged), for hand-made requests. */
  signatureHeaders(body: string, forgery?: SigningForgery): Record<string, string> {
    return signatureHeaders(this.options.signingSecret, Date.now(), body, forgery);
  }

  // ── Socket Mode ───────────────────────────────────────────────────────────────────────────────

  get socketConnections(): number {
    return this.sockets.connectionCount;
  }

  /** Resolves once at least `count` apps are connected over Socket Mode. */
  async waitForSocket(options: WaitOptions & { count?: number } = {}): Promise<void> {
    const count = options.count ?? 1;
    await this.waitFor(() => this.sockets.connectionCount >= count, {
      description: `${count} Socket Mode connection(s)`,
      ...options,
    });
  }

  /** Sends Slack's `disconnect` message to every connection; the client reconnects on its own. */
  disconnectSockets(reason: "warning" | "refresh_requested" | "link_disabled" = "refresh_requested"): void {
    this.sockets.sendDisconnect(reason);
  }

  // ── waiting on conditions ─────────────────────────────────────────────────────────────────────

  /** Resolves with the probe's first truthy value, re-checked whenever the workspace changes. */
  waitFor<T>(probe: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    return waitForCondition(this.log, probe, options);
  }

  /** The first top-level message in `channel` matching `match` (a substring of its text, or a test). */
  waitForMessage(
    channel: string,
    match: string | ((m: StoredMessage) => boolean),
    options: WaitOptions = {},
  ): Promise<StoredMessage> {
    const test = typeof match === "string" ? (m: StoredMessage) => m.text.includes(match) : match;
    return this.waitFor(() => this.messages(channel).find(test), {
      description: `a message in ${channel} matching ${String(match)}`,
      ...options,
    });
  }

  /** The first ephemeral to `userId` matching `match`. */
  waitForEphemeral(
    userId: string,
    match: string | ((e: StoredEphemeral) => boolean),
    options: WaitOptions = {},
  ): Promise<StoredEphemeral> {
    const test = typeof match === "string" ? (e: StoredEphemeral) => e.text.includes(match) : match;
    return this.waitFor(() => this.ephemerals(userId).find(test), {
      description: `an ephemeral to ${userId} matching ${String(match)}`,
      ...options,
    });
  }
}
