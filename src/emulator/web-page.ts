import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { ResolvedOptions } from "./emulator-options.js";
import type { EventLog } from "./event-log.js";
import type { BlockActionInput, SlashCommandInput } from "./interaction-payloads.js";
import type { InteractionResult } from "./interaction-sender.js";
import { pageFiles, serveFile } from "./page-files.js";
import type { ViewInteractions } from "./view-interactions.js";
import type { StoredView, ViewState } from "./view-state.js";
import type { StoredMessage, WorkspaceState } from "./workspace-state.js";

/**
 * The emulator's web page: a Slack-like channel view for people (the demo) rather than tests. It
 * reads the same workspace the Web API writes, pushes a notice over Server-Sent Events whenever the
 * event log grows (the page then fetches the new state), and turns a typed `/dr …` or a click into
 * an interaction sent through the emulator's own delivery code: signed, form-encoded, with a fresh
 * response_url and trigger_id, exactly as the tests send them. Served on the emulator's 127.0.0.1
 * port only, and only when the emulator is created with `webPage`.
 */
export interface WebPageOptions {
  /** Shown at the top of every screen, e.g. "Sites: SIMULATED (in-process)". */
  banner: string;
  /** The people the page can act as, in the order of the switcher. */
  personas: Array<{ userId: string; label: string }>;
  /** The channel the page opens. */
  channel: string;
}

interface PageDeps {
  options: ResolvedOptions & { webPage: WebPageOptions };
  state: WorkspaceState;
  log: EventLog;
  sendSlashCommand(input: SlashCommandInput): Promise<InteractionResult>;
  sendBlockAction(input: BlockActionInput): Promise<InteractionResult>;
  views: ViewState;
  viewActions: ViewInteractions;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/page/page.js": { file: "page.js", type: "text/javascript; charset=utf-8" },
  "/page/block-kit.js": { file: "block-kit.js", type: "text/javascript; charset=utf-8" },
  "/page/views.js": { file: "views.js", type: "text/javascript; charset=utf-8" },
  "/page/page.css": { file: "page.css", type: "text/css; charset=utf-8" },
  "/page/block-kit.css": { file: "block-kit.css", type: "text/css; charset=utf-8" },
  "/page/markdown.js": { file: "markdown.js", type: "text/javascript; charset=utf-8" },
  "/page/files.js": { file: "files.js", type: "text/javascript; charset=utf-8" },
  "/page/files.css": { file: "files.css", type: "text/css; charset=utf-8" },
  "/page/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
  // Browsers ask for /favicon.ico whatever the page links; the same picture answers.
  "/favicon.ico": { file: "favicon.svg", type: "image/svg+xml" },
};

const slackId = z.string().regex(/^[A-Z0-9]{2,32}$/, "a Slack id such as U0ONCALL1");
const commandBody = z
  .object({
    userId: slackId,
    channelId: slackId,
    text: z
      .string()
      .max(4_000)
      .regex(/^\/[a-z][a-z0-9_-]*(\s|$)/, "a slash command such as /dr status"),
  })
  .strict();
const actionBody = z
  .object({
    userId: slackId,
    channelId: slackId,
    messageTs: z.string().regex(/^\d+\.\d+$/),
    actionId: z.string().min(1).max(255),
    isEphemeral: z.boolean().default(false),
    /** Checkboxes: the values ticked after the change. */
    selectedOptions: z.array(z.string().max(150)).max(10).optional(),
  })
  .strict();

const viewSubmitBody = z
  .object({
    userId: slackId,
    viewId: slackId,
    values: z.record(
      z.string().max(255),
      z.union([z.string().max(3000), z.array(z.string().max(150)).max(100)]),
    ),
  })
  .strict();
const viewCloseBody = z.object({ userId: slackId, viewId: slackId }).strict();
const homeBody = z.object({ userId: slackId }).strict();

/** How long the page coalesces changes before telling browsers: a run's burst of edits is one notice. */
const NOTIFY_COALESCE_MS = 50;
const KEEPALIVE_MS = 15_000;

export class WebPage {
  constructor(private readonly deps: PageDeps) {}

  /** Serves the request when it is the page's; false when it belongs to someone else. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<boolean> {
    const asset = req.method === "GET" ? ASSETS[url.pathname] : undefined;
    if (asset) {
      const body = await readFile(new URL(`./page/${asset.file}`, import.meta.url));
      res.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" }).end(body);
      return true;
    }
    if (req.method === "GET" && url.pathname === "/page/state") {
      json(
        res,
        200,
        this.snapshot(url.searchParams.get("user") ?? "", url.searchParams.get("channel") ?? ""),
      );
      return true;
    }
    if (req.method === "GET" && url.pathname.startsWith("/page/files/")) {
      serveFile(this.deps.state, url.pathname.slice("/page/files/".length), res);
      return true;
    }
    if (req.method === "GET" && url.pathname === "/page/events") {
      this.stream(req, res);
      return true;
    }
    if (req.method === "POST" && url.pathname === "/page/command") {
      const input = parseJson(commandBody, raw);
      if (!input.ok) return json(res, 400, { ok: false, error: input.error });
      const typed = input.value.text.trim();
      const command = typed.split(/\s/, 1)[0]!;
      const result = await this.deps.sendSlashCommand({
        userId: input.value.userId,
        channelId: input.value.channelId,
        command,
        text: typed.slice(command.length).trim(),
      });
      return json(res, 200, outcomeOf(result));
    }
    if (req.method === "POST" && url.pathname === "/page/action") {
      const input = parseJson(actionBody, raw);
      if (!input.ok) return json(res, 400, { ok: false, error: input.error });
      try {
        return json(res, 200, outcomeOf(await this.deps.sendBlockAction(input.value)));
      } catch (error) {
        return json(res, 409, { ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (url.pathname.startsWith("/page/view-") || url.pathname === "/page/home")
      return this.handleView(req.method ?? "", url.pathname, raw, res);
    return false;
  }

  /** A modal's submit or close, and opening the Home tab, sent as Slack's client sends them. */
  private async handleView(method: string, path: string, raw: Buffer, res: ServerResponse): Promise<boolean> {
    if (method !== "POST") return false;
    try {
      if (path === "/page/view-submit") {
        const input = parseJson(viewSubmitBody, raw);
        if (!input.ok) return json(res, 400, { ok: false, error: input.error });
        const result = await this.deps.viewActions.submit(input.value);
        return json(res, 200, { ...outcomeOf(result), viewOutcome: result.viewOutcome });
      }
      if (path === "/page/view-close") {
        const input = parseJson(viewCloseBody, raw);
        if (!input.ok) return json(res, 400, { ok: false, error: input.error });
        const result = await this.deps.viewActions.close(input.value);
        return json(res, 200, result ? outcomeOf(result) : { ok: true });
      }
      if (path === "/page/home") {
        const input = parseJson(homeBody, raw);
        if (!input.ok) return json(res, 400, { ok: false, error: input.error });
        return json(res, 200, outcomeOf(await this.deps.viewActions.openHome(input.value)));
      }
    } catch (error) {
      // The person's own mistake (a required input left empty, no modal open): told back to the page.
      return json(res, 409, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
    return false;
  }

  /** What one person sees in one channel: the timeline with threads, and their own ephemerals. */
  private snapshot(userId: string, channelId: string) {
    const { options, state } = this.deps;
    const page = options.webPage;
    const channel =
      options.channels.find((c) => c.id === channelId) ?? options.channels.find((c) => c.id === page.channel);
    const names: Record<string, string> = { [options.botUserId]: "drbot" };
    for (const u of options.users) names[u.id] = u.realName ?? u.name;
    const view = (m: StoredMessage) => ({
      ts: m.ts,
      userId: m.userId,
      bot: m.botId !== undefined,
      text: m.text,
      blocks: m.blocks,
      files: pageFiles(state, m.fileIds),
      edits: m.versions.length - 1,
    });
    const messages = channel
      ? state
          .topLevel(channel.id)
          .map((m) => ({ ...view(m), replies: state.replies(channel.id, m.ts).map(view) }))
      : [];
    return {
      banner: page.banner,
      team: options.teamDomain,
      personas: page.personas.map((p) => ({ ...p, name: names[p.userId] ?? p.userId })),
      channels: options.channels.map((c) => ({ id: c.id, name: c.name })),
      channel: channel ? { id: channel.id, name: channel.name } : undefined,
      names,
      usergroups: Object.fromEntries(options.usergroups.map((g) => [g.id, g.handle])),
      messages,
      ephemerals: channel
        ? state
            .ephemerals(userId)
            .filter((e) => e.channel === channel.id)
            .map((e) => ({ ts: e.ts, text: e.text, blocks: e.blocks, threadTs: e.threadTs }))
        : [],
      modal: modalOf(this.deps.views.modal(userId)),
      home: this.deps.views.home(userId)?.view.blocks ?? null,
      seq: this.deps.log.list().length,
    };
  }

  /** Server-Sent Events: `data: <seq>` after every burst of changes, a comment now and then to keep proxies quiet. */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(`data: ${this.deps.log.list().length}\n\n`);
    let pending: NodeJS.Timeout | undefined;
    const unsubscribe = this.deps.log.subscribe((event) => {
      pending ??= setTimeout(() => {
        pending = undefined;
        res.write(`data: ${event.seq}\n\n`);
      }, NOTIFY_COALESCE_MS);
    });
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    req.on("close", () => {
      unsubscribe();
      clearInterval(keepalive);
      clearTimeout(pending);
    });
  }
}

function modalOf(view: StoredView | undefined) {
  if (!view) return null;
  const v = view.view;
  return {
    id: view.id,
    title: v.title,
    submit: v.submit,
    close: v.close,
    blocks: v.blocks,
    errors: view.errors,
  };
}

function outcomeOf(result: InteractionResult) {
  return {
    ok: result.outcome === "acked",
    outcome: result.outcome,
    status: result.status,
    ackMs: Math.round(result.ackMs),
  };
}

function parseJson<T>(
  schema: z.ZodType<T>,
  raw: Buffer,
): { ok: true; value: T } | { ok: false; error: string } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    // The page's own request was malformed: told back to it as a 400 with this reason.
    return { ok: false, error: "the body is not JSON" };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
  };
}

function json(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
  return true;
}
