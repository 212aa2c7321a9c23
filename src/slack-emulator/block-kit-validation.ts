/**
 * Block Kit validation as Slack answers it: `invalid_blocks` with `[ERROR] reason [json-pointer:…]`
 * messages. Covers the limits and shapes drbot's messages can hit; unknown block types are refused.
 */
const KNOWN_BLOCKS = new Set([
  "section",
  "header",
  "context",
  "divider",
  "actions",
  "image",
  "rich_text",
  "markdown",
  "input",
  "file",
  "video",
]);

type Json = Record<string, unknown>;

export function validateBlocks(blocks: unknown): string[] {
  const errors: string[] = [];
  const err = (reason: string, pointer: string): void => {
    errors.push(`${reason} [json-pointer:${pointer}]`);
  };
  if (!Array.isArray(blocks)) {
    err("must be an array", "/blocks");
    return errors;
  }
  if (blocks.length > 50) err("no more than 50 items allowed", "/blocks");
  const blockIds = new Set<string>();
  for (const [i, raw] of blocks.entries()) {
    const at = `/blocks/${i}`;
    if (!raw || typeof raw !== "object") {
      err("must be an object", at);
      continue;
    }
    const block = raw as Json;
    const type = block.type;
    if (typeof type !== "string" || !KNOWN_BLOCKS.has(type)) {
      err("failed to match all allowed schemas", at);
      continue;
    }
    if (typeof block.block_id === "string") {
      if (block.block_id.length > 255) err("must be less than 256 characters", `${at}/block_id`);
      if (blockIds.has(block.block_id)) err("duplicate block_id", `${at}/block_id`);
      blockIds.add(block.block_id);
    }
    switch (type) {
      case "header":
        textObject(block.text, `${at}/text`, 150, err, true);
        break;
      case "section": {
        if (block.text === undefined && block.fields === undefined) err("must provide text or fields", at);
        if (block.text !== undefined) textObject(block.text, `${at}/text`, 3000, err);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields)) err("must be an array", `${at}/fields`);
          else {
            if (block.fields.length > 10) err("no more than 10 items allowed", `${at}/fields`);
            for (const [j, f] of block.fields.entries()) textObject(f, `${at}/fields/${j}`, 2000, err);
          }
        }
        break;
      }
      case "context": {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0)
          err("must provide at least 1 element", `${at}/elements`);
        else if (elements.length > 10) err("no more than 10 items allowed", `${at}/elements`);
        else for (const [j, e] of elements.entries()) textObject(e, `${at}/elements/${j}`, 3000, err);
        break;
      }
      case "actions": {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0)
          err("must provide at least 1 element", `${at}/elements`);
        else {
          if (elements.length > 25) err("no more than 25 items allowed", `${at}/elements`);
          const actionIds = new Set<string>();
          for (const [j, e] of elements.entries()) {
            const el = e as Json;
            const p = `${at}/elements/${j}`;
            if (el.type !== "button") continue;
            textObject(el.text, `${p}/text`, 75, err, true);
            if (typeof el.action_id === "string") {
              if (el.action_id.length > 255) err("must be less than 256 characters", `${p}/action_id`);
              if (actionIds.has(el.action_id)) err("duplicate action_id", `${p}/action_id`);
              actionIds.add(el.action_id);
            }
            if (typeof el.value === "string" && el.value.length > 2000)
              err("must be less than 2001 characters", `${p}/value`);
            if (el.style !== undefined && el.style !== "primary" && el.style !== "danger")
              err("must be one of primary, danger", `${p}/style`);
            if (el.confirm) {
              const c = el.confirm as Json;
              textObject(c.title, `${p}/confirm/title`, 100, err, true);
              textObject(c.text, `${p}/confirm/text`, 300, err);
              textObject(c.confirm, `${p}/confirm/confirm`, 30, err, true);
              textObject(c.deny, `${p}/confirm/deny`, 30, err, true);
            }
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return errors;
}

function textObject(
  value: unknown,
  pointer: string,
  max: number,
  err: (reason: string, pointer: string) => void,
  plainOnly = false,
): void {
  const t = value && typeof value === "object" ? (value as Json) : undefined;
  if (!t) err("must be a text object", pointer);
  else if (t.type !== "plain_text" && t.type !== "mrkdwn")
    err("failed to match all allowed schemas", pointer);
  else if (plainOnly && t.type !== "plain_text") err("must be plain_text", `${pointer}/type`);
  else if (typeof t.text !== "string" || t.text.length === 0)
    err("must be more than 0 characters", `${pointer}/text`);
  else if (t.text.length > max) err(`must be less than ${max + 1} characters`, `${pointer}/text`);
}
