import { randomBytes } from "node:crypto";
import type { ResolvedOptions } from "./emulator-options.js";
import { newTriggerId, withBlockIds } from "./interaction-payloads.js";
import type { DeliveryOptions, InteractionResult, InteractionSender } from "./interaction-sender.js";
import { apiView } from "./view-methods.js";
import type { StoredView, ViewState } from "./view-state.js";
import { validateView } from "./view-validation.js";
import { findUser } from "./workspace-directory.js";

/**
 * What people do with views, sent to the app as Slack sends it: a modal's submission
 * (`view_submission`, its inputs in `view.state.values`; the app's ack says what happens next:
 * close, show errors under the inputs, update, push or clear), a modal dismissed (`view_closed`, only
 * when the view asked with notify_on_close), and the Home tab opened (`app_home_opened`, an Events
 * API callback: JSON, signed like everything else). `verifyEventsUrl` sends the url_verification
 * challenge Slack sends when an app's events URL is set.
 */
export interface ViewSubmissionInput {
  userId: string;
  /** The modal submitted; the person's top modal when left out. */
  viewId?: string;
  /** What the person typed or chose, by the input element's action_id (an option's value for selects). */
  values?: Record<string, string | string[]>;
}

export type ViewOutcome = "closed" | "errors" | "updated" | "pushed" | "cleared" | "kept";

export interface ViewSubmissionResult extends InteractionResult {
  /** What the app's answer did to the modal; "kept" when it did not answer in time or answered badly. */
  viewOutcome: ViewOutcome;
  /** The errors shown under the inputs, by block_id, when the app answered with them. */
  errors: Record<string, string>;
}

type Json = Record<string, unknown>;

export class ViewInteractions {
  constructor(
    private readonly deps: { options: ResolvedOptions; views: ViewState; sender: InteractionSender },
  ) {}

  async submit(input: ViewSubmissionInput & DeliveryOptions): Promise<ViewSubmissionResult> {
    const stored = this.openModal(input.userId, input.viewId);
    const values = stateValues(stored.view, input.values ?? {});
    const triggerId = newTriggerId();
    this.deps.views.issueTrigger(triggerId, input.userId);
    const payload: Json = {
      type: "view_submission",
      ...this.common(input.userId),
      trigger_id: triggerId,
      view: apiView(stored, this.deps.options, { values }),
      response_urls: [],
    };
    const result = await this.deps.sender.send(
      this.form("view_submission", payload, triggerId),
      input.forgery,
    );
    const answered = this.applyAnswer(stored, result);
    // The same object, so it can be redelivered like any interaction.
    return Object.assign(result, answered);
  }

  /** The person closes their top modal; the app hears of it only when the view set notify_on_close. */
  async close(
    input: { userId: string; viewId?: string } & DeliveryOptions,
  ): Promise<InteractionResult | undefined> {
    const stored = this.openModal(input.userId, input.viewId);
    this.deps.views.close(input.userId, "top");
    if (stored.view.notify_on_close !== true) return undefined;
    const payload: Json = {
      type: "view_closed",
      ...this.common(input.userId),
      view: apiView(stored, this.deps.options),
      is_cleared: false,
    };
    return this.deps.sender.send(this.form("view_closed", payload, ""), input.forgery);
  }

  /** The person opens the app's Home tab: an `app_home_opened` event with their current home view. */
  openHome(input: { userId: string } & DeliveryOptions): Promise<InteractionResult> {
    const { options } = this.deps;
    const home = this.deps.views.home(input.userId);
    const eventTs = `${Math.floor(options.now() / 1000)}.${randomBytes(3).readUIntBE(0, 3) % 1_000_000}`;
    const body: Json = {
      token: "emulatorverificationtoken",
      team_id: options.teamId,
      api_app_id: options.appId,
      event: {
        type: "app_home_opened",
        user: input.userId,
        channel: `D${input.userId.replace(/^U/, "")}`.slice(0, 12),
        tab: "home",
        ...(home ? { view: apiView(home, options) } : {}),
        event_ts: eventTs,
      },
      type: "event_callback",
      event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
      event_time: Math.floor(options.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: options.teamId,
          user_id: options.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
    return this.deps.sender.send(this.json("event_callback", body), input.forgery);
  }

  /** Slack's check of an events URL: the app must echo the challenge. */
  async verifyEventsUrl(): Promise<{ ok: boolean; result: InteractionResult }> {
    const challenge = randomBytes(24).toString("base64url");
    const body = { token: "emulatorverificationtoken", challenge, type: "url_verification" };
    const result = await this.deps.sender.send(this.json("url_verification", body));
    let echoed: unknown;
    try {
      echoed = (JSON.parse(result.body) as { challenge?: unknown }).challenge;
    } catch {
      // Not JSON: Bolt answers the challenge as JSON, so anything else fails the check below.
      echoed = result.body;
    }
    return { ok: result.outcome === "acked" && echoed === challenge, result };
  }

  private openModal(userId: string, viewId: string | undefined): StoredView {
    const stored = viewId
      ? this.deps.views.modalStack(userId).find((v) => v.id === viewId)
      : this.deps.views.modal(userId);
    if (!stored) throw new Error(`${userId} has no open modal${viewId ? ` ${viewId}` : ""}`);
    return stored;
  }

  private common(userId: string): Json {
    const { options } = this.deps;
    const user = findUser(options, userId);
    return {
      team: { id: options.teamId, domain: options.teamDomain },
      user: {
        id: userId,
        username: user?.name ?? userId,
        name: user?.name ?? userId,
        team_id: options.teamId,
      },
      api_app_id: options.appId,
      token: "emulatorverificationtoken",
      enterprise: null,
      is_enterprise_install: false,
    };
  }

  private form(kind: "view_submission" | "view_closed", payload: Json, triggerId: string) {
    const formBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return { kind, payload, formBody, responseUrl: "", triggerId };
  }

  private json(kind: "event_callback" | "url_verification", body: Json) {
    return {
      kind,
      payload: body,
      formBody: JSON.stringify(body),
      contentType: "application/json",
      responseUrl: "",
      triggerId: "",
    };
  }

  /** The app's ack to a submission, applied to the modal as Slack's client would. */
  private applyAnswer(
    stored: StoredView,
    result: InteractionResult,
  ): Pick<ViewSubmissionResult, "viewOutcome" | "errors"> {
    const views = this.deps.views;
    if (result.outcome !== "acked") return { viewOutcome: "kept", errors: {} };
    const answer = parseAnswer(result.body);
    if (!answer) {
      views.close(stored.userId, "top");
      return { viewOutcome: "closed", errors: {} };
    }
    switch (answer.response_action) {
      case "errors": {
        const errors = Object.fromEntries(
          Object.entries(isJson(answer.errors) ? answer.errors : {}).map(([k, v]) => [k, String(v)]),
        );
        views.showErrors(stored, errors);
        return { viewOutcome: "errors", errors };
      }
      case "update":
      case "push": {
        const checked = validateView(answer.view, "modal");
        if (!checked.ok) return { viewOutcome: "kept", errors: {} };
        if (answer.response_action === "update") views.update(stored, checked.view);
        else views.push(stored.userId, checked.view);
        return { viewOutcome: answer.response_action === "update" ? "updated" : "pushed", errors: {} };
      }
      case "clear":
        views.close(stored.userId, "all");
        return { viewOutcome: "cleared", errors: {} };
      default:
        views.close(stored.userId, "top");
        return { viewOutcome: "closed", errors: {} };
    }
  }
}

function parseAnswer(body: string): Json | undefined {
  if (body.trim() === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isJson(parsed) ? parsed : undefined;
  } catch {
    // A body that is not JSON carries no response_action: Slack closes the modal as for an empty ack.
    return undefined;
  }
}

/**
 * `view.state.values` as Slack builds it from the inputs: `{block_id: {action_id: {type, value}}}`,
 * a select's chosen option, checkboxes' chosen options. A required input left empty is refused
 * before sending, as Slack's client refuses it.
 */
function stateValues(view: Json, given: Record<string, string | string[]>): Json {
  const values: Record<string, Json> = {};
  const blocks = withBlockIds(Array.isArray(view.blocks) ? view.blocks : []);
  for (const block of blocks) {
    if (block.type !== "input" || !isJson(block.element)) continue;
    const element = block.element;
    const actionId = typeof element.action_id === "string" ? element.action_id : String(block.block_id);
    const value = given[actionId];
    const empty = value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
    if (empty && block.optional !== true) {
      const label = isJson(block.label) ? String(block.label.text) : actionId;
      throw new Error(`"${label}" is required: Slack does not send the form without it`);
    }
    const options = Array.isArray(element.options) ? (element.options as Json[]) : [];
    const chosen = (v: string) => options.find((o) => o.value === v) ?? null;
    const type = String(element.type);
    let entry: Json;
    if (type === "static_select" || type === "radio_buttons")
      entry = { type, selected_option: typeof value === "string" ? chosen(value) : null };
    else if (type === "checkboxes" || type === "multi_static_select")
      entry = {
        type,
        selected_options: (Array.isArray(value) ? value : value ? [value] : []).map(chosen).filter(Boolean),
      };
    else entry = { type, value: empty ? null : String(value) };
    values[String(block.block_id)] = { [actionId]: entry };
  }
  return values;
}

function isJson(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
