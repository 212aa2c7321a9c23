import { type AckMessage, type AppAck, ackMessage } from "./app-ack.js";
import { validateBlocks } from "./block-kit-validation.js";
import type { ResolvedOptions } from "./emulator-options.js";
import type { EventLog, InteractionKind } from "./event-log.js";
import type { HttpDelivery } from "./http-delivery.js";
import {
  actionTs,
  type BlockActionInput,
  blockActionsPayload,
  newTriggerId,
  type SlashCommandInput,
  slashCommandFields,
} from "./interaction-payloads.js";
import { type SigningForgery, signatureHeaders } from "./request-signing.js";
import type { ResponseUrls } from "./response-urls.js";
import type { EnvelopeType, SocketModeServer } from "./socket-mode-server.js";
import type { ViewState } from "./view-state.js";
import type { WorkspaceState } from "./workspace-state.js";

/**
 * Sends interactions to the app as Slack does, over signed HTTP or Socket Mode depending on the
 * emulator's mode, mints the response_url and trigger_id for each, measures the ack, and shows a
 * slash command's immediate response (the ack body) to the user when it came in time.
 */
export interface InteractionResult extends AppAck {
  kind: InteractionKind;
  responseUrl: string;
  triggerId: string;
  /** 0 for the first delivery, N for the Nth redelivery. */
  retryNum: number;
  /** What was sent: the slash command's form fields, an interaction's JSON, or the event callback. */
  payload: Record<string, unknown>;
}

export interface DeliveryOptions {
  /** HTTP mode: bend the signature, to check the app refuses what Slack would never send. */
  forgery?: SigningForgery;
}

export interface SentInteraction {
  kind: InteractionKind;
  payload: Record<string, unknown>;
  /** The exact bytes sent over HTTP: form-encoded, or JSON for the Events API. */
  formBody: string;
  /** Set for Events API bodies (application/json); interactions are form-encoded. */
  contentType?: string;
  responseUrl: string;
  triggerId: string;
}

const ENVELOPE: Record<InteractionKind, EnvelopeType> = {
  slash_command: "slash_commands",
  block_actions: "interactive",
  view_submission: "interactive",
  view_closed: "interactive",
  event_callback: "events_api",
  url_verification: "events_api",
};

export class InteractionSender {
  private readonly sent = new WeakMap<InteractionResult, SentInteraction>();

  constructor(
    private readonly deps: {
      options: ResolvedOptions;
      state: WorkspaceState;
      log: EventLog;
      responseUrls: ResponseUrls;
      sockets: SocketModeServer;
      http: HttpDelivery;
      views: ViewState;
    },
  ) {}

  async sendSlashCommand(input: SlashCommandInput & DeliveryOptions): Promise<InteractionResult> {
    const responseUrl = this.deps.responseUrls.issue({
      kind: "slash_command",
      channel: input.channelId,
      userId: input.userId,
    });
    const triggerId = newTriggerId();
    this.deps.views.issueTrigger(triggerId, input.userId);
    const payload = slashCommandFields(input, this.deps.options, { responseUrl, triggerId });
    return this.deliver(
      {
        kind: "slash_command",
        payload,
        formBody: new URLSearchParams(payload).toString(),
        responseUrl,
        triggerId,
      },
      0,
      input.forgery,
    );
  }

  /**
   * Clicks a component on a message: the element is looked up by action_id in the message's
   * current blocks (its block_id, text, value and style are echoed as Slack does).
   */
  async sendBlockAction(input: BlockActionInput & DeliveryOptions): Promise<InteractionResult> {
    const message = input.isEphemeral ? undefined : this.deps.state.find(input.channelId, input.messageTs);
    const ephemeral = input.isEphemeral ? this.deps.state.findEphemeral(input.messageTs) : undefined;
    if (!message && !ephemeral && input.value === undefined)
      throw new Error(`no message ${input.messageTs} in ${input.channelId} to click on`);
    const responseUrl = this.deps.responseUrls.issue({
      kind: "block_actions",
      channel: input.channelId,
      userId: input.userId,
      messageTs: input.messageTs,
      isEphemeral: input.isEphemeral === true,
    });
    const triggerId = newTriggerId();
    this.deps.views.issueTrigger(triggerId, input.userId);
    const payload = blockActionsPayload(
      input,
      this.deps.options,
      { ...(message ? { message } : {}), blocks: message?.blocks ?? ephemeral?.blocks ?? [] },
      { responseUrl, triggerId, actionTs: actionTs(this.deps.options.now()) },
    );
    const formBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.deliver(
      { kind: "block_actions", payload, formBody, responseUrl, triggerId },
      0,
      input.forgery,
    );
  }

  /**
   * Sends an earlier interaction again, as a retry: `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`
   * over HTTP, `retry_attempt` / `retry_reason` in Socket Mode. Same payload, fresh signature.
   */
  async redeliver(
    previous: InteractionResult,
    options: { reason?: string } & DeliveryOptions = {},
  ): Promise<InteractionResult> {
    const sent = this.sent.get(previous);
    if (!sent) throw new Error("redeliver takes a result returned by this emulator");
    return this.deliver(sent, previous.retryNum + 1, options.forgery, options.reason ?? "http_timeout");
  }

  /** Sends a payload built elsewhere (views, events) the way every interaction is sent. */
  send(sent: SentInteraction, forgery?: SigningForgery): Promise<InteractionResult> {
    return this.deliver(sent, 0, forgery);
  }

  private async deliver(
    sent: SentInteraction,
    retryNum: number,
    forgery?: SigningForgery,
    retryReason = "http_timeout",
  ): Promise<InteractionResult> {
    let ack: AppAck;
    if (this.deps.options.mode === "socket") {
      ack = await this.deps.sockets.deliver(
        ENVELOPE[sent.kind],
        sent.payload,
        retryNum > 0 ? { num: retryNum, reason: retryReason } : undefined,
      );
    } else {
      const url = this.deps.options.requestUrl;
      if (!url)
        throw new Error("HTTP mode needs the app's request URL: pass requestUrl or call setRequestUrl");
      // Signed with the real clock: the app checks the timestamp against its own clock.
      const headers = signatureHeaders(this.deps.options.signingSecret, Date.now(), sent.formBody, forgery);
      if (sent.contentType) headers["content-type"] = sent.contentType;
      if (retryNum > 0) {
        headers["x-slack-retry-num"] = String(retryNum);
        headers["x-slack-retry-reason"] = retryReason;
      }
      ack = await this.deps.http.deliver({ url, body: sent.formBody, headers }, this.deps.options);
    }
    this.deps.log.record({
      type: "interaction_delivered",
      kind: sent.kind,
      outcome: ack.outcome,
      status: ack.status,
      ackMs: ack.ackMs,
      retryNum,
    });
    if (sent.kind === "slash_command") this.showAckMessage(sent, ackMessage(ack));
    const result: InteractionResult = {
      ...ack,
      kind: sent.kind,
      responseUrl: sent.responseUrl,
      triggerId: sent.triggerId,
      retryNum,
      payload: sent.payload,
    };
    this.sent.set(result, sent);
    return result;
  }

  /** A slash command's immediate response: ephemeral by default, or in the channel with the command. */
  private showAckMessage(sent: SentInteraction, message: AckMessage | undefined): void {
    if (!message || (message.blocks !== undefined && validateBlocks(message.blocks).length > 0)) return;
    const channel = String(sent.payload.channel_id);
    const userId = String(sent.payload.user_id);
    const content = { text: message.text ?? "", blocks: message.blocks ?? [] };
    if (message.response_type === "in_channel") {
      this.deps.state.post({
        channel,
        userId,
        text: `${sent.payload.command} ${sent.payload.text}`.trim(),
        blocks: [],
        via: "user",
      });
      this.deps.state.post({
        channel,
        userId: this.deps.options.botUserId,
        botId: this.deps.options.botId,
        ...content,
        via: "slash_ack",
      });
    } else {
      this.deps.state.addEphemeral({ channel, userId, ...content, via: "slash_ack" });
    }
  }
}
