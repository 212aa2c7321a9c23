import { randomBytes, randomInt } from "node:crypto";
import type { ResolvedOptions } from "./emulator-options.js";
import { toApiMessage } from "./web-api-method.js";
import { findChannel, findUser } from "./workspace-directory.js";
import type { StoredMessage } from "./workspace-state.js";

/**
 * Interaction payloads with the fields and shapes Slack sends (slack-protocol.md §2): a slash
 * command is flat form fields; block_actions is one JSON document (sent as `payload=`), carrying
 * the message as Slack echoes it, the container, the actions with their block ids, and the
 * response_url and trigger_id minted for this interaction.
 */
export interface SlashCommandInput {
  userId: string;
  channelId: string;
  text?: string;
  command?: string;
}

export interface BlockActionInput {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  /** The button's value; taken from the message when left out. */
  value?: string;
  blockId?: string;
  /** The clicked component sits on an ephemeral message (no `message` in the payload, as on Slack). */
  isEphemeral?: boolean;
  /** For a checkboxes element: the values of the options ticked after this change. */
  selectedOptions?: string[];
}

/** `<digits>.<digits>.<hex32>`, the shape of Slack's trigger ids. */
export function newTriggerId(): string {
  return `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${randomBytes(16).toString("hex")}`;
}

export function actionTs(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}.${String(randomInt(0, 1e6)).padStart(6, "0")}`;
}

export function slashCommandFields(
  input: SlashCommandInput,
  options: ResolvedOptions,
  ids: { responseUrl: string; triggerId: string },
): Record<string, string> {
  return {
    token: "emulatorverificationtoken",
    team_id: options.teamId,
    team_domain: options.teamDomain,
    channel_id: input.channelId,
    channel_name: findChannel(options, input.channelId)?.name ?? "unknown",
    user_id: input.userId,
    user_name: findUser(options, input.userId)?.name ?? input.userId.toLowerCase(),
    command: input.command ?? "/dr",
    text: input.text ?? "",
    api_app_id: options.appId,
    is_enterprise_install: "false",
    response_url: ids.responseUrl,
    trigger_id: ids.triggerId,
  };
}

type Json = Record<string, unknown>;

/** Slack gives every block a block_id when it stores a message; the emulator derives stable ones. */
export function withBlockIds(blocks: unknown[]): Json[] {
  return blocks.map((block, i) => {
    const b = block as Json;
    return typeof b.block_id === "string" ? b : { ...b, block_id: `emu${i}` };
  });
}

/** The interactive element with `actionId` in `blocks` (actions elements and section accessories). */
export function findElement(
  blocks: Json[],
  actionId: string,
): { element: Json; blockId: string } | undefined {
  for (const block of blocks) {
    const candidates = [
      ...(Array.isArray(block.elements) ? (block.elements as Json[]) : []),
      ...(block.accessory ? [block.accessory as Json] : []),
    ];
    const element = candidates.find((e) => e && e.action_id === actionId);
    if (element) return { element, blockId: String(block.block_id) };
  }
  return undefined;
}

export function blockActionsPayload(
  input: BlockActionInput,
  options: ResolvedOptions,
  source: { message?: StoredMessage; blocks: unknown[] },
  ids: { responseUrl: string; triggerId: string; actionTs: string },
): Json {
  const blocks = withBlockIds(source.blocks);
  const found = findElement(blocks, input.actionId);
  if (!found && input.value === undefined)
    throw new Error(
      `no element with action_id ${input.actionId} on message ${input.messageTs}; pass value to click anyway`,
    );
  const element = found?.element ?? { type: "button", text: { type: "plain_text", text: input.actionId } };
  const blockId = input.blockId ?? found?.blockId ?? "emu0";
  if (element.type === "checkboxes")
    return checkboxesPayload(input, options, { ...source, blocks }, ids, element, blockId);
  const action: Json = {
    type: element.type,
    action_id: input.actionId,
    block_id: blockId,
    ...(element.text ? { text: { ...(element.text as Json), emoji: true } } : {}),
    ...(input.value !== undefined || element.value !== undefined
      ? { value: input.value ?? element.value }
      : {}),
    ...(element.style ? { style: element.style } : {}),
    action_ts: ids.actionTs,
  };
  return envelope(input, options, source, ids, blocks, [action], { values: {} });
}

/**
 * Checkboxes: Slack sends the options ticked after the change, in the action and in `state.values`
 * (docs.slack.dev/reference/block-kit/block-elements/checkboxes-element).
 */
function checkboxesPayload(
  input: BlockActionInput,
  options: ResolvedOptions,
  source: { message?: StoredMessage; blocks: Json[] },
  ids: { responseUrl: string; triggerId: string; actionTs: string },
  element: Json,
  blockId: string,
): Json {
  const all = Array.isArray(element.options) ? (element.options as Json[]) : [];
  const wanted = new Set(input.selectedOptions ?? []);
  const selected = all.filter((o) => wanted.has(String(o.value)));
  const action: Json = {
    type: "checkboxes",
    action_id: input.actionId,
    block_id: blockId,
    selected_options: selected,
    action_ts: ids.actionTs,
  };
  const state = {
    values: { [blockId]: { [input.actionId]: { type: "checkboxes", selected_options: selected } } },
  };
  return envelope(input, options, source, ids, source.blocks, [action], state);
}

function envelope(
  input: BlockActionInput,
  options: ResolvedOptions,
  source: { message?: StoredMessage; blocks: unknown[] },
  ids: { responseUrl: string; triggerId: string; actionTs: string },
  blocks: Json[],
  actions: Json[],
  state: Json,
): Json {
  const user = findUser(options, input.userId);
  return {
    type: "block_actions",
    user: {
      id: input.userId,
      username: user?.name ?? input.userId,
      name: user?.name ?? input.userId,
      team_id: options.teamId,
    },
    api_app_id: options.appId,
    token: "emulatorverificationtoken",
    container: {
      type: "message",
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: input.isEphemeral === true,
    },
    trigger_id: ids.triggerId,
    team: { id: options.teamId, domain: options.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: findChannel(options, input.channelId)?.name ?? "unknown" },
    ...(source.message && !input.isEphemeral
      ? { message: { ...toApiMessage(source.message, options), blocks } }
      : {}),
    state,
    response_url: ids.responseUrl,
    actions,
  };
}
