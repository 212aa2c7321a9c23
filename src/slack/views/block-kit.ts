/**
 * Small typed builders for the Block Kit drbot posts, with Slack's limits applied where text is
 * built, so no runbook size or user input can produce `invalid_blocks`.
 */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageText: 3900,
} as const;

export type TextObject =
  | { type: "plain_text"; text: string; emoji?: boolean }
  | { type: "mrkdwn"; text: string };

export interface Button {
  type: "button";
  text: { type: "plain_text"; text: string };
  action_id: string;
  value?: string;
  style?: "primary" | "danger";
  confirm?: {
    title: { type: "plain_text"; text: string };
    text: TextObject;
    confirm: { type: "plain_text"; text: string };
    deny: { type: "plain_text"; text: string };
    style?: "primary" | "danger";
  };
}

export type Block =
  | { type: "header"; text: { type: "plain_text"; text: string } }
  | { type: "section"; text?: TextObject; fields?: TextObject[]; block_id?: string }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" }
  | { type: "actions"; block_id?: string; elements: Button[] };

/** A message: Block Kit blocks and the text Slack shows in notifications and to screen readers. */
export interface View {
  text: string;
  blocks: Block[];
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

/**
 * Escapes text a person typed for mrkdwn: `&`, `<`, `>` become entities, so `<!channel>`, `<@U…>`
 * and links cannot be injected; formatting characters are neutralised with a zero-width joiner.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([*_~`])/g, "$1\u200d")
    .replace(/@(channel|here|everyone)\b/gi, "@\u200d$1");
}

export const mrkdwn = (text: string, max: number = LIMITS.sectionText): TextObject => ({
  type: "mrkdwn",
  text: clip(text, max),
});
export const plain = (text: string, max: number = LIMITS.sectionText): TextObject => ({
  type: "plain_text",
  text: clip(text, max) || " ",
});

export const header = (text: string): Block => ({
  type: "header",
  text: { type: "plain_text", text: clip(text, LIMITS.header) },
});
export const section = (text: string): Block => ({ type: "section", text: mrkdwn(text) });
export const fields = (items: string[]): Block => ({
  type: "section",
  fields: items.slice(0, LIMITS.fields).map((f) => mrkdwn(f, LIMITS.field)),
});
export const context = (items: string[]): Block => ({
  type: "context",
  elements: items.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t, LIMITS.sectionText)),
});
export const divider = (): Block => ({ type: "divider" });

export function button(
  text: string,
  actionId: string,
  value: string,
  options: {
    style?: "primary" | "danger";
    confirm?: { title: string; text: string; confirm: string; deny?: string };
  } = {},
): Button {
  return {
    type: "button",
    text: { type: "plain_text", text: clip(text, LIMITS.buttonText) },
    action_id: clip(actionId, 255),
    value: clip(value, LIMITS.buttonValue),
    ...(options.style ? { style: options.style } : {}),
    ...(options.confirm
      ? {
          confirm: {
            title: { type: "plain_text" as const, text: clip(options.confirm.title, LIMITS.confirmTitle) },
            text: { type: "mrkdwn" as const, text: clip(options.confirm.text, LIMITS.confirmText) },
            confirm: {
              type: "plain_text" as const,
              text: clip(options.confirm.confirm, LIMITS.confirmButton),
            },
            deny: {
              type: "plain_text" as const,
              text: clip(options.confirm.deny ?? "Cancel", LIMITS.confirmButton),
            },
            ...(options.style ? { style: options.style } : {}),
          },
        }
      : {}),
  };
}

export const actions = (blockId: string, elements: Button[]): Block => ({
  type: "actions",
  block_id: clip(blockId, 255),
  elements: elements.slice(0, LIMITS.actionsElements),
});

/** Keeps a message within 50 blocks: the last block says how much was folded away. */
export function withinBlockBudget(blocks: Block[], reserveTail: Block[] = []): Block[] {
  const room = LIMITS.blocks - reserveTail.length;
  if (blocks.length <= room) return [...blocks, ...reserveTail];
  const kept = blocks.slice(0, room - 1);
  return [
    ...kept,
    context([`… ${blocks.length - kept.length} more block(s) folded; see the thread or \`/dr show\``]),
    ...reserveTail,
  ];
}
