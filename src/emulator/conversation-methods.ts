import { fail, type MethodContext, toApiMessage, type WebApiMethod } from "./web-api-method.js";
import { stringArg } from "./web-api-request.js";
import { findChannel } from "./workspace-directory.js";

/**
 * conversations.info, conversations.history (newest first) and conversations.replies (parent
 * first), with Slack's limit / oldest / latest / inclusive arguments and opaque cursors.
 */
function page<T>(items: T[], context: MethodContext): { items: T[]; nextCursor: string } {
  const limit = Math.min(Math.max(Number(stringArg(context.args, "limit") ?? 100) || 100, 1), 999);
  const cursor = stringArg(context.args, "cursor");
  const offset = cursor
    ? Number(Buffer.from(cursor, "base64").toString("utf8").replace("offset:", "")) || 0
    : 0;
  const slice = items.slice(offset, offset + limit);
  const next =
    offset + limit < items.length ? Buffer.from(`offset:${offset + limit}`).toString("base64") : "";
  return { items: slice, nextCursor: next };
}

/** Keeps messages inside oldest/latest; both bounds are exclusive unless `inclusive` is set. */
function inWindow(context: MethodContext): (ts: string) => boolean {
  const oldest = Number(stringArg(context.args, "oldest") ?? 0);
  const latestArg = stringArg(context.args, "latest");
  const latest = latestArg ? Number(latestArg) : Number.POSITIVE_INFINITY;
  const inclusive =
    stringArg(context.args, "inclusive") === "true" || stringArg(context.args, "inclusive") === "1";
  return (ts) => {
    const t = Number(ts);
    return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  };
}

const info: WebApiMethod = {
  token: "bot",
  handle(context) {
    const id = stringArg(context.args, "channel");
    const channel = id ? findChannel(context.options, id) : undefined;
    if (!channel) return fail("channel_not_found");
    const isIm = channel.id.startsWith("D");
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: !isIm && !channel.isPrivate,
        is_group: !isIm && channel.isPrivate === true,
        is_im: isIm,
        is_private: channel.isPrivate === true,
        is_archived: false,
        is_member: channel.botIsMember !== false,
        created: 1_700_000_000,
        ...(channel.members ? { num_members: channel.members.length } : {}),
      },
    };
  },
};

const history: WebApiMethod = {
  token: "bot",
  handle(context) {
    const id = stringArg(context.args, "channel");
    const channel = id ? findChannel(context.options, id) : undefined;
    if (!channel) return fail("channel_not_found");
    if (channel.botIsMember === false) return fail("not_in_channel");
    const keep = inWindow(context);
    const newestFirst = context.state
      .topLevel(channel.id)
      .filter((m) => keep(m.ts))
      .reverse();
    const { items, nextCursor } = page(newestFirst, context);
    return {
      ok: true,
      messages: items.map((m) => ({
        ...toApiMessage(m, context.options),
        ...replyMeta(context, channel.id, m.ts),
      })),
      has_more: nextCursor !== "",
      pin_count: 0,
      response_metadata: { next_cursor: nextCursor },
    };
  },
};

const replies: WebApiMethod = {
  token: "bot",
  handle(context) {
    const id = stringArg(context.args, "channel");
    const ts = stringArg(context.args, "ts");
    const channel = id ? findChannel(context.options, id) : undefined;
    if (!channel) return fail("channel_not_found");
    const parent = ts ? context.state.find(channel.id, ts) : undefined;
    if (!parent || parent.deleted) return fail("thread_not_found");
    const root = parent.threadTs ? context.state.find(channel.id, parent.threadTs) : parent;
    if (!root) return fail("thread_not_found");
    const keep = inWindow(context);
    const thread = [root, ...context.state.replies(channel.id, root.ts)].filter(
      (m) => m === root || keep(m.ts),
    );
    const { items, nextCursor } = page(thread, context);
    return {
      ok: true,
      messages: items.map((m) => ({
        ...toApiMessage(m, context.options),
        ...(m === root ? { thread_ts: root.ts, ...replyMeta(context, channel.id, root.ts) } : {}),
      })),
      has_more: nextCursor !== "",
      response_metadata: { next_cursor: nextCursor },
    };
  },
};

function replyMeta(context: MethodContext, channel: string, ts: string): Record<string, unknown> {
  const thread = context.state.replies(channel, ts);
  if (thread.length === 0) return {};
  return { thread_ts: ts, reply_count: thread.length, latest_reply: thread.at(-1)!.ts };
}

export const CONVERSATION_METHODS: Record<string, WebApiMethod> = {
  "conversations.info": info,
  "conversations.history": history,
  "conversations.replies": replies,
};
