import { validateBlocks } from "./block-kit-validation.js";

/**
 * A view as views.open / views.update / views.publish check it (slack-protocol.md §5): a modal
 * needs a plain_text title, and submit when it has inputs; title, submit and close up to 24
 * characters; up to 100 blocks, validated as Block Kit; private_metadata up to 3000 characters,
 * callback_id and external_id up to 255; the whole view up to 250 kB (`view_too_large`). Reasons are
 * Slack's `reason [json-pointer:/view/…]` lines, answered as `invalid_arguments`.
 */
export const VIEW_MAX_BLOCKS = 100;
const VIEW_MAX_BYTES = 250_000;
const LABEL_MAX = 24;

export type ViewCheck =
  | { ok: true; view: Record<string, unknown> }
  | { ok: false; error: "invalid_arguments" | "view_too_large"; messages: string[] };

export function validateView(raw: unknown, expected: "modal" | "home" | "any"): ViewCheck {
  const messages: string[] = [];
  const report = (reason: string, pointer: string) => messages.push(`${reason} [json-pointer:${pointer}]`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    report("failed to match all allowed schemas", "/view");
    return { ok: false, error: "invalid_arguments", messages };
  }
  const view = raw as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(view)) > VIEW_MAX_BYTES)
    return { ok: false, error: "view_too_large", messages: [] };
  if (view.type !== "modal" && view.type !== "home") report("must be one of: modal, home", "/view/type");
  else if (expected !== "any" && view.type !== expected) report(`must be ${expected}`, "/view/type");
  const blocks = view.blocks;
  if (!Array.isArray(blocks)) report("missing required field: blocks", "/view");
  else
    for (const error of validateBlocks(blocks, VIEW_MAX_BLOCKS))
      messages.push(error.replace("[json-pointer:/blocks", "[json-pointer:/view/blocks"));
  if (view.type === "modal") {
    if (view.title === undefined) report("missing required field: title", "/view");
    else checkLabel(view.title, "/view/title", report);
    if (view.submit !== undefined) checkLabel(view.submit, "/view/submit", report);
    if (view.close !== undefined) checkLabel(view.close, "/view/close", report);
    const hasInput = Array.isArray(blocks) && blocks.some((b) => (b as { type?: unknown })?.type === "input");
    if (hasInput && view.submit === undefined) report("missing required field: submit", "/view");
  }
  checkString(view.private_metadata, "/view/private_metadata", 3000, report);
  checkString(view.callback_id, "/view/callback_id", 255, report);
  checkString(view.external_id, "/view/external_id", 255, report);
  return messages.length > 0 ? { ok: false, error: "invalid_arguments", messages } : { ok: true, view };
}

function checkLabel(value: unknown, at: string, report: (reason: string, pointer: string) => void): void {
  const text = value as { type?: unknown; text?: unknown } | null;
  if (typeof text !== "object" || text === null || text.type !== "plain_text") {
    report("failed to match all allowed schemas", at);
    return;
  }
  if (typeof text.text !== "string" || text.text.length === 0)
    report("must be more than 0 characters", `${at}/text`);
  else if (text.text.length > LABEL_MAX)
    report(`must be less than ${LABEL_MAX + 1} characters`, `${at}/text`);
}

function checkString(
  value: unknown,
  at: string,
  max: number,
  report: (reason: string, pointer: string) => void,
): void {
  if (value === undefined) return;
  if (typeof value !== "string") report("must be a string", at);
  else if (value.length > max) report(`must be less than ${max + 1} characters`, at);
}
