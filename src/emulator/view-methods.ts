import type { ResolvedOptions } from "./emulator-options.js";
import type { StoredView } from "./view-state.js";
import { validateView } from "./view-validation.js";
import { fail, type MethodContext, missingArgument, type WebApiMethod } from "./web-api-method.js";
import { jsonArg, stringArg } from "./web-api-request.js";
import { findUser } from "./workspace-directory.js";

/**
 * views.open (a trigger id from an interaction: known, within 3 s, used once), views.update (by
 * view_id or external_id, refusing a stale hash with hash_conflict) and views.publish (a person's
 * Home tab), each validating the view as Slack does (view-validation.ts).
 */
function readView(context: MethodContext, expected: "modal" | "home" | "any") {
  const raw = jsonArg(context.args, "view");
  if (!raw.ok)
    return {
      ok: false as const,
      reply: fail(
        "invalid_arguments",
        messagesOf(["failed to match all allowed schemas [json-pointer:/view]"]),
      ),
    };
  if (raw.value === undefined) return { ok: false as const, reply: missingArgument("view") };
  const checked = validateView(raw.value, expected);
  if (!checked.ok)
    return {
      ok: false as const,
      reply: fail(checked.error, checked.messages.length ? messagesOf(checked.messages) : {}),
    };
  return { ok: true as const, view: checked.view };
}

function messagesOf(messages: string[]): Record<string, unknown> {
  return { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } };
}

const open: WebApiMethod = {
  token: "bot",
  handle(context) {
    const triggerId =
      stringArg(context.args, "trigger_id") ?? stringArg(context.args, "interactivity_pointer");
    if (!triggerId) return missingArgument("trigger_id");
    const view = readView(context, "modal");
    if (!view.ok) return view.reply;
    const trigger = context.views.exchangeTrigger(triggerId);
    if (!trigger.ok) return fail(trigger.error);
    return { ok: true, view: apiView(context.views.open(trigger.userId!, view.view), context.options) };
  },
};

const update: WebApiMethod = {
  token: "bot",
  handle(context) {
    const viewId = stringArg(context.args, "view_id");
    const externalId = stringArg(context.args, "external_id");
    if (!viewId && !externalId) return missingArgument("view_id");
    const stored = context.views.find(viewId ? { viewId } : { externalId: externalId! });
    if (!stored) return fail("not_found");
    const hash = stringArg(context.args, "hash");
    if (hash && hash !== stored.hash) return fail("hash_conflict");
    const view = readView(context, stored.type);
    if (!view.ok) return view.reply;
    return { ok: true, view: apiView(context.views.update(stored, view.view), context.options) };
  },
};

const publish: WebApiMethod = {
  token: "bot",
  handle(context) {
    const userId = stringArg(context.args, "user_id");
    if (!userId) return missingArgument("user_id");
    if (!findUser(context.options, userId)) return fail("user_not_found");
    const view = readView(context, "home");
    if (!view.ok) return view.reply;
    const hash = stringArg(context.args, "hash");
    const existing = context.views.home(userId);
    if (hash && existing && hash !== existing.hash) return fail("hash_conflict");
    return { ok: true, view: apiView(context.views.publish(userId, view.view), context.options) };
  },
};

/** A stored view in the shape the Web API and interaction payloads carry it. */
export function apiView(
  stored: StoredView,
  options: ResolvedOptions,
  state: Record<string, unknown> = { values: {} },
): Record<string, unknown> {
  const v = stored.view;
  return {
    id: stored.id,
    team_id: options.teamId,
    type: stored.type,
    blocks: v.blocks,
    private_metadata: v.private_metadata ?? "",
    callback_id: v.callback_id ?? "",
    state,
    hash: stored.hash,
    title: v.title ?? null,
    clear_on_close: v.clear_on_close === true,
    notify_on_close: v.notify_on_close === true,
    close: v.close ?? null,
    submit: v.submit ?? null,
    previous_view_id: stored.previousViewId ?? null,
    root_view_id: stored.rootViewId,
    app_id: options.appId,
    external_id: v.external_id ?? "",
    app_installed_team_id: options.teamId,
    bot_id: options.botId,
  };
}

export const VIEW_METHODS: Record<string, WebApiMethod> = {
  "views.open": open,
  "views.update": update,
  "views.publish": publish,
};
