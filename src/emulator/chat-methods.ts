import { validateBlocks } from "./block-kit-validation.js";
import {
  type ApiReply,
  fail,
  type MethodContext,
  missingArgument,
  toApiMessage,
  type WebApiMethod,
} from "./web-api-method.js";
import { boolArg, jsonArg, stringArg } from "./web-api-request.js";
import { findChannel, findUser, isChannelMember } from "./workspace-directory.js";
import type { StoredMessage } from "./workspace-state.js";

/**
 * chat.postMessage, chat.update, chat.delete, chat.postEphemeral and chat.getPermalink with Slack's checks: channel
 * and membership, text and Block Kit limits, thread parents, and only the bot's own messages may
 * be edited or deleted.
 */
const POST_TEXT_MAX = 40_000;
/** chat.update's documented limit: "The text field cannot exceed 4,000 characters" (msg_too_long). */
const UPDATE_TEXT_MAX = 4_000;
const ATTACHMENTS_MAX = 100;

type Content = { ok: true; text?: string; blocks?: unknown[] } | { ok: false; reply: ApiReply };

/** Text, blocks and attachments of a message call, or the error Slack answers for them. */
export function readMessageContent(args: MethodContext["args"], textMax: number): Content {
  const text = stringArg(args, "text");
  const blocks = jsonArg(args, "blocks");
  if (!blocks.ok || (blocks.value !== undefined && !Array.isArray(blocks.value)))
    return { ok: false, reply: fail("invalid_blocks_format") };
  if (blocks.value !== undefined) {
    const errors = validateBlocks(blocks.value);
    if (errors.length > 0)
      return {
        ok: false,
        reply: fail("invalid_blocks", {
          errors,
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        }),
      };
  }
  const attachments = jsonArg(args, "attachments");
  if (attachments.ok && Array.isArray(attachments.value) && attachments.value.length > ATTACHMENTS_MAX)
    return { ok: false, reply: fail("too_many_attachments") };
  if (text !== undefined && text.length > textMax) return { ok: false, reply: fail("msg_too_long") };
  return {
    ok: true,
    ...(text !== undefined ? { text } : {}),
    ...(blocks.value !== undefined ? { blocks: blocks.value as unknown[] } : {}),
  };
}

function postableChannel(context: MethodContext): { ok: true; id: string } | { ok: false; reply: ApiReply } {
  const id = stringArg(context.args, "channel");
  if (!id) return { ok: false, reply: fail("channel_not_found") };
  const channel = findChannel(context.options, id);
  if (!channel) return { ok: false, reply: fail("channel_not_found") };
  if (channel.botIsMember === false) return { ok: false, reply: fail("not_in_channel") };
  return { ok: true, id: channel.id };
}

/** The bot's own, undeleted message at channel/ts, or the error chat.update/chat.delete answer. */
function ownMessage(
  context: MethodContext,
  notOwn: "cant_update_message" | "cant_delete_message",
): { ok: true; message: StoredMessage } | { ok: false; reply: ApiReply } {
  const channel = stringArg(context.args, "channel");
  const ts = stringArg(context.args, "ts");
  if (!channel) return { ok: false, reply: fail("channel_not_found") };
  if (!ts) return { ok: false, reply: fail("message_not_found") };
  const resolved = findChannel(context.options, channel)?.id ?? channel;
  const message = context.state.find(resolved, ts);
  if (!message || message.deleted) return { ok: false, reply: fail("message_not_found") };
  if (message.botId !== context.options.botId) return { ok: false, reply: fail(notOwn) };
  return { ok: true, message };
}

const postMessage: WebApiMethod = {
  token: "bot",
  handle(context) {
    const channel = postableChannel(context);
    if (!channel.ok) return channel.reply;
    const content = readMessageContent(context.args, POST_TEXT_MAX);
    if (!content.ok) return content.reply;
    const attachments = jsonArg(context.args, "attachments");
    if (!content.text && !content.blocks && !(attachments.ok && attachments.value)) return fail("no_text");
    let threadTs = stringArg(context.args, "thread_ts") || undefined;
    if (threadTs) {
      // A reply to a reply lands in the parent's thread, as in Slack.
      const parent = context.state.find(channel.id, threadTs);
      // Emulator choice: Slack's answer for an unknown thread_ts is not documented; refusing it
      // catches a bot that threads under the wrong ts.
      if (!parent || parent.deleted) return fail("thread_not_found");
      threadTs = parent.threadTs ?? parent.ts;
    }
    const message = context.state.post({
      channel: channel.id,
      userId: context.options.botUserId,
      botId: context.options.botId,
      text: content.text ?? "",
      blocks: content.blocks ?? [],
      ...(threadTs ? { threadTs } : {}),
      replyBroadcast: threadTs !== undefined && boolArg(context.args, "reply_broadcast"),
      via: "chat.postMessage",
    });
    return { ok: true, channel: channel.id, ts: message.ts, message: toApiMessage(message, context.options) };
  },
};

const update: WebApiMethod = {
  token: "bot",
  handle(context) {
    const target = ownMessage(context, "cant_update_message");
    if (!target.ok) return target.reply;
    const content = readMessageContent(context.args, UPDATE_TEXT_MAX);
    if (!content.ok) return content.reply;
    if (content.text === undefined && content.blocks === undefined) return fail("no_text");
    context.state.update(
      target.message,
      {
        ...(content.text !== undefined ? { text: content.text } : {}),
        ...(content.blocks ? { blocks: content.blocks } : {}),
      },
      "chat.update",
    );
    const message = target.message;
    return {
      ok: true,
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      message: toApiMessage(message, context.options),
    };
  },
};

const remove: WebApiMethod = {
  token: "bot",
  handle(context) {
    const target = ownMessage(context, "cant_delete_message");
    if (!target.ok) return target.reply;
    context.state.delete(target.message, "chat.delete");
    return { ok: true, channel: target.message.channel, ts: target.message.ts };
  },
};

const postEphemeral: WebApiMethod = {
  token: "bot",
  handle(context) {
    const channel = postableChannel(context);
    if (!channel.ok) return channel.reply;
    const userId = stringArg(context.args, "user");
    if (!userId) return missingArgument("user");
    if (!findUser(context.options, userId)) return fail("user_not_found");
    if (!isChannelMember(findChannel(context.options, channel.id)!, userId))
      return fail("user_not_in_channel");
    const content = readMessageContent(context.args, POST_TEXT_MAX);
    if (!content.ok) return content.reply;
    if (!content.text && !content.blocks) return fail("no_text");
    const threadTs = stringArg(context.args, "thread_ts") || undefined;
    const ephemeral = context.state.addEphemeral({
      channel: channel.id,
      userId,
      ...(threadTs ? { threadTs } : {}),
      text: content.text ?? "",
      blocks: content.blocks ?? [],
      via: "chat.postEphemeral",
    });
    return { ok: true, message_ts: ephemeral.ts };
  },
};

/**
 * A message's address, as Slack gives it: the workspace's domain, the channel, and the ts without
 * its dot. Slack answers for any message it knows in a channel the bot can see; deleted ones too
 * would be Slack's business, the emulator refuses them (message_not_found).
 */
const getPermalink: WebApiMethod = {
  token: "bot",
  handle(context) {
    const id = stringArg(context.args, "channel");
    const ts = stringArg(context.args, "message_ts");
    if (!id) return missingArgument("channel");
    if (!ts) return missingArgument("message_ts");
    const channel = findChannel(context.options, id);
    if (!channel) return fail("channel_not_found");
    const message = context.state.find(channel.id, ts);
    if (!message || message.deleted) return fail("message_not_found");
    return {
      ok: true,
      channel: channel.id,
      permalink: `https://${context.options.teamDomain}.slack.com/archives/${channel.id}/p${ts.replace(".", "")}`,
    };
  },
};

export const CHAT_METHODS: Record<string, WebApiMethod> = {
  "chat.getPermalink": getPermalink,
  "chat.postMessage": postMessage,
  "chat.update": update,
  "chat.delete": remove,
  "chat.postEphemeral": postEphemeral,
};
