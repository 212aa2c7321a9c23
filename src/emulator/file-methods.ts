import { randomBytes } from "node:crypto";
import { fail, missingArgument, type WebApiMethod } from "./web-api-method.js";
import { jsonArg, readMultipart, stringArg } from "./web-api-request.js";
import { findChannel } from "./workspace-directory.js";
import type { WorkspaceState } from "./workspace-state.js";

/**
 * The three steps of @slack/web-api's files.uploadV2: files.getUploadURLExternal hands out an
 * upload URL on the emulator, the client POSTs the bytes there (multipart, one part named `body`),
 * and files.completeUploadExternal shares the file, optionally as a message in a channel or thread.
 */
const getUploadUrlExternal: WebApiMethod = {
  token: "bot",
  handle({ args, state, baseUrl }) {
    const filename = stringArg(args, "filename");
    const length = Number(stringArg(args, "length"));
    if (!filename) return missingArgument("filename");
    if (!Number.isInteger(length) || length < 0) return missingArgument("length");
    const id = `F${randomBytes(5).toString("hex").toUpperCase()}`;
    state.files.set(id, { id, filename, title: filename, length, completed: false });
    return { ok: true, upload_url: `${baseUrl}/upload/${id}`, file_id: id };
  },
};

const completeUploadExternal: WebApiMethod = {
  token: "bot",
  handle({ args, state, options }) {
    const files = jsonArg(args, "files");
    if (!files.ok || !Array.isArray(files.value) || files.value.length === 0) return missingArgument("files");
    const requested = files.value as { id?: string; title?: string }[];
    const stored = requested.map((f) => (f.id ? state.files.get(f.id) : undefined));
    if (stored.some((f) => f?.content === undefined)) return fail("file_not_found");
    const channelArg = stringArg(args, "channel_id");
    const channel = channelArg ? findChannel(options, channelArg) : undefined;
    if (channelArg && !channel) return fail("channel_not_found");
    for (const [i, file] of stored.entries()) {
      file!.title = requested[i]?.title ?? file!.title;
      file!.completed = true;
      if (channel) file!.channel = channel.id;
      state.fileUploaded(file!.id, channel?.id);
    }
    if (channel) {
      const threadTs = stringArg(args, "thread_ts") || undefined;
      state.post({
        channel: channel.id,
        userId: options.botUserId,
        botId: options.botId,
        text: stringArg(args, "initial_comment") ?? "",
        blocks: [],
        fileIds: stored.map((f) => f!.id),
        ...(threadTs ? { threadTs } : {}),
        via: "files.completeUploadExternal",
      });
    }
    return {
      ok: true,
      files: stored.map((f) => ({ id: f!.id, title: f!.title, name: f!.filename, size: f!.content!.length })),
    };
  },
};

/** The upload URL itself: stores the `body` part and answers like Slack ("OK - <bytes>"). */
export async function receiveUpload(
  state: WorkspaceState,
  fileId: string,
  contentType: string,
  raw: Buffer,
): Promise<{ status: number; body: string }> {
  const file = state.files.get(fileId);
  if (!file || file.completed) return { status: 404, body: "file_not_found" };
  let content = raw;
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    const part = (await readMultipart(contentType, raw)).get("body");
    if (part === null) return { status: 400, body: "missing body part" };
    content = typeof part === "string" ? Buffer.from(part) : Buffer.from(await part.arrayBuffer());
  }
  file.content = content;
  return { status: 200, body: `OK - ${content.length}` };
}

export const FILE_METHODS: Record<string, WebApiMethod> = {
  "files.getUploadURLExternal": getUploadUrlExternal,
  "files.completeUploadExternal": completeUploadExternal,
};
