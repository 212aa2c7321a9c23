import type { EventLog } from "./event-log.js";

/**
 * The emulated workspace's messages: per channel, with threads, every version of every edit (so a
 * test can inspect each update the bot made), ephemerals per user, and uploaded files. Message ts
 * values are unique and increasing across the workspace, shaped like Slack's "1732512345.000100".
 */
export type MessageSource =
  | "chat.postMessage"
  | "chat.update"
  | "chat.delete"
  | "response_url"
  | "slash_ack"
  | "user"
  | "files.completeUploadExternal";

export interface MessageVersion {
  text: string;
  blocks: unknown[];
  at: number;
  via: MessageSource;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  /** Set on replies: the ts of the thread's parent. */
  threadTs?: string;
  /** Who posted it: the bot user for the app's messages, a human's id for `postUserMessage`. */
  userId: string;
  botId?: string;
  text: string;
  blocks: unknown[];
  fileIds: string[];
  replyBroadcast: boolean;
  /** Every version, oldest first; the first is the post itself. */
  versions: MessageVersion[];
  deleted: boolean;
}

export type EphemeralSource = "chat.postEphemeral" | "response_url" | "slash_ack";

export interface StoredEphemeral {
  channel: string;
  userId: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  at: number;
  via: EphemeralSource;
  /** Replaced or deleted later through a response_url, as a user would see it change. */
  deleted: boolean;
}

export interface StoredFile {
  id: string;
  filename: string;
  title: string;
  length: number;
  content?: Buffer;
  channel?: string;
  completed: boolean;
}

export interface NewMessage {
  channel: string;
  userId: string;
  botId?: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  replyBroadcast?: boolean;
  fileIds?: string[];
  via: MessageSource;
}

export class WorkspaceState {
  private readonly byChannel = new Map<string, StoredMessage[]>();
  private readonly ephemeralList: StoredEphemeral[] = [];
  readonly files = new Map<string, StoredFile>();
  private lastSecond = 0;
  private lastSequence = 0;

  constructor(
    private readonly now: () => number,
    private readonly log: EventLog,
  ) {}

  /** A fresh ts: seconds from the clock, then a six-digit counter that keeps ts strictly increasing. */
  nextTs(): string {
    const second = Math.max(Math.floor(this.now() / 1000), this.lastSecond);
    if (second > this.lastSecond) {
      this.lastSecond = second;
      this.lastSequence = 0;
    }
    this.lastSequence++;
    if (this.lastSequence > 999_999) {
      this.lastSecond++;
      this.lastSequence = 1;
    }
    return `${this.lastSecond}.${String(this.lastSequence).padStart(6, "0")}`;
  }

  post(input: NewMessage): StoredMessage {
    const message: StoredMessage = {
      channel: input.channel,
      ts: this.nextTs(),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      userId: input.userId,
      ...(input.botId ? { botId: input.botId } : {}),
      text: input.text,
      blocks: input.blocks,
      fileIds: input.fileIds ?? [],
      replyBroadcast: input.replyBroadcast ?? false,
      versions: [{ text: input.text, blocks: input.blocks, at: this.now(), via: input.via }],
      deleted: false,
    };
    const list = this.byChannel.get(input.channel) ?? [];
    list.push(message);
    this.byChannel.set(input.channel, list);
    this.log.record({
      type: "message_posted",
      channel: message.channel,
      ts: message.ts,
      ...(message.threadTs ? { threadTs: message.threadTs } : {}),
      via: input.via,
    });
    return message;
  }

  /** The message with this ts, deleted ones included (tests may want to see what was removed). */
  find(channel: string, ts: string): StoredMessage | undefined {
    return this.byChannel.get(channel)?.find((m) => m.ts === ts);
  }

  update(message: StoredMessage, change: { text?: string; blocks?: unknown[] }, via: MessageSource): void {
    message.text = change.text ?? message.text;
    message.blocks = change.blocks ?? message.blocks;
    message.versions.push({ text: message.text, blocks: message.blocks, at: this.now(), via });
    this.log.record({ type: "message_updated", channel: message.channel, ts: message.ts, via });
  }

  delete(message: StoredMessage, via: MessageSource): void {
    message.deleted = true;
    this.log.record({ type: "message_deleted", channel: message.channel, ts: message.ts, via });
  }

  /** Top-level messages of a channel (broadcast replies included, as Slack shows them), oldest first. */
  topLevel(channel: string): StoredMessage[] {
    return (this.byChannel.get(channel) ?? []).filter((m) => !m.deleted && (!m.threadTs || m.replyBroadcast));
  }

  /** Replies in the thread under `parentTs`, oldest first, without the parent. */
  replies(channel: string, parentTs: string): StoredMessage[] {
    return (this.byChannel.get(channel) ?? []).filter((m) => !m.deleted && m.threadTs === parentTs);
  }

  addEphemeral(input: Omit<StoredEphemeral, "ts" | "at" | "deleted">): StoredEphemeral {
    const ephemeral: StoredEphemeral = { ...input, ts: this.nextTs(), at: this.now(), deleted: false };
    this.ephemeralList.push(ephemeral);
    this.log.record({
      type: "ephemeral_posted",
      channel: input.channel,
      userId: input.userId,
      via: input.via,
    });
    return ephemeral;
  }

  fileUploaded(fileId: string, channel?: string): void {
    this.log.record({ type: "file_uploaded", fileId, ...(channel ? { channel } : {}) });
  }

  /** Ephemerals still shown, oldest first; all users' when `userId` is left out. */
  ephemerals(userId?: string): StoredEphemeral[] {
    return this.ephemeralList.filter((e) => !e.deleted && (userId === undefined || e.userId === userId));
  }

  findEphemeral(ts: string): StoredEphemeral | undefined {
    return this.ephemeralList.find((e) => e.ts === ts);
  }

  changeEphemeral(ephemeral: StoredEphemeral, change: { text: string; blocks: unknown[] } | "delete"): void {
    if (change === "delete") ephemeral.deleted = true;
    else Object.assign(ephemeral, change);
    this.log.record({
      type: "ephemeral_changed",
      userId: ephemeral.userId,
      ts: ephemeral.ts,
      change: change === "delete" ? "deleted" : "replaced",
    });
  }
}
