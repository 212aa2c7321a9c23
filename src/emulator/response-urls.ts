import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { validateBlocks } from "./block-kit-validation.js";
import type { ResolvedOptions } from "./emulator-options.js";
import type { EventLog } from "./event-log.js";
import type { WorkspaceState } from "./workspace-state.js";

/**
 * The response_url each interaction carries, served by the emulator at /response/ID. Slack's rules
 * (docs.slack.dev/interactivity/handling-user-interaction#message_responses): usable up to 5 times
 * within 30 minutes; ephemeral by default, `in_channel` posts publicly, `thread_ts` threads;
 * `replace_original` / `delete_original` act on the message whose component was used, never on a
 * slash command. Bolt's respond() throws on a non-2xx answer; the statuses and error words for an
 * exhausted or expired URL are not documented, so 404 `used_url` / `expired_url` is an emulator choice.
 */
export interface ResponseUrlSource {
  kind: "slash_command" | "block_actions";
  channel: string;
  userId: string;
  /** The message holding the clicked component (block_actions only). */
  messageTs?: string;
  isEphemeral?: boolean;
}

interface IssuedUrl extends ResponseUrlSource {
  issuedAt: number;
  uses: number;
}

interface ResponseBody {
  text?: string;
  blocks?: unknown[];
  response_type?: "ephemeral" | "in_channel";
  replace_original?: boolean | string;
  delete_original?: boolean | string;
  thread_ts?: string;
}

export class ResponseUrls {
  private readonly issued = new Map<string, IssuedUrl>();

  constructor(
    private readonly deps: {
      options: ResolvedOptions;
      state: WorkspaceState;
      log: EventLog;
      baseUrl: () => string;
    },
  ) {}

  issue(source: ResponseUrlSource): string {
    const id = `${this.deps.options.teamId}/${randomBytes(12).toString("hex")}`;
    this.issued.set(id, { ...source, issuedAt: this.deps.options.now(), uses: 0 });
    return `${this.deps.baseUrl()}/response/${id}`;
  }

  /** How often a response_url was used (accepted posts only). */
  uses(url: string): number {
    return this.issued.get(url.replace(/^.*\/response\//, ""))?.uses ?? 0;
  }

  handle(id: string, raw: Buffer, res: ServerResponse): undefined {
    const answer = (status: number, error?: string, action?: string): undefined => {
      this.deps.log.record({
        type: "response_url_used",
        id,
        accepted: error === undefined,
        ...(error ? { error } : {}),
        ...(action ? { action } : {}),
      });
      res
        .writeHead(status, { "content-type": "application/json; charset=utf-8" })
        .end(JSON.stringify(error ? { ok: false, error } : { ok: true }));
    };
    const entry = this.issued.get(id);
    if (!entry) return answer(404, "invalid_token");
    const { options } = this.deps;
    if (options.now() - entry.issuedAt > options.responseUrlTtlMs) return answer(404, "expired_url");
    if (entry.uses >= options.responseUrlMaxUses) return answer(404, "used_url");
    let body: ResponseBody;
    try {
      body = JSON.parse(raw.toString("utf8")) as ResponseBody;
      if (typeof body !== "object" || body === null) return answer(400, "invalid_payload");
    } catch {
      // Slack's own answer to a body that is not JSON.
      return answer(400, "invalid_payload");
    }
    if (body.blocks !== undefined && validateBlocks(body.blocks).length > 0)
      return answer(400, "invalid_blocks");
    const deleteOriginal = flag(body.delete_original);
    const hasContent = body.text !== undefined || body.blocks !== undefined;
    if (!hasContent && !deleteOriginal) return answer(400, "no_text");
    entry.uses++;
    return answer(200, undefined, this.apply(entry, body, deleteOriginal, hasContent));
  }

  /** Carries out one accepted response and says what it did (for the event log). */
  private apply(entry: IssuedUrl, body: ResponseBody, deleteOriginal: boolean, hasContent: boolean): string {
    const { state } = this.deps;
    const component = entry.kind === "block_actions" && entry.messageTs !== undefined;
    // For component interactions Slack's documented default is to replace the source message;
    // an explicit replace_original:false posts a new one.
    const replace =
      component && !deleteOriginal && (body.replace_original === undefined || flag(body.replace_original));
    const content = { text: body.text ?? "", blocks: body.blocks ?? [] };
    if (component && entry.isEphemeral) {
      const source = state.findEphemeral(entry.messageTs!);
      if (source && (deleteOriginal || replace))
        state.changeEphemeral(source, deleteOriginal ? "delete" : content);
      if (replace) return "replaced_ephemeral";
    } else if (component) {
      const source = state.find(entry.channel, entry.messageTs!);
      if (source && !source.deleted && deleteOriginal) state.delete(source, "response_url");
      if (source && !source.deleted && replace) {
        state.update(source, content, "response_url");
        return "replaced";
      }
    }
    if (!hasContent) return "deleted";
    if (body.response_type === "in_channel") {
      state.post({
        channel: entry.channel,
        userId: this.deps.options.botUserId,
        botId: this.deps.options.botId,
        ...content,
        ...(body.thread_ts ? { threadTs: body.thread_ts } : {}),
        via: "response_url",
      });
      return "posted_in_channel";
    }
    state.addEphemeral({
      channel: entry.channel,
      userId: entry.userId,
      ...content,
      ...(body.thread_ts ? { threadTs: body.thread_ts } : {}),
      via: "response_url",
    });
    return "posted_ephemeral";
  }
}

function flag(value: boolean | string | undefined): boolean {
  return value === true || value === "true";
}
