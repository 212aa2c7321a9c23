/**
 * Block Kit validation as Slack answers it: a list of `reason [json-pointer:/blocks/…]` strings,
 * which the Web API returns as `invalid_blocks` with `errors` and `[ERROR] …` response_metadata
 * messages. Limits are the ones in /work/shared/research/slack-protocol.md §5 (docs.slack.dev block
 * reference and @slack/types JSDoc). Unknown block and element types are refused, as Slack's schema
 * matcher does ("failed to match all allowed schemas").
 */
type Json = Record<string, unknown>;
type Report = (reason: string, pointer: string) => void;

export const MESSAGE_MAX_BLOCKS = 50;
export const MARKDOWN_BLOCKS_MAX_CHARS = 12_000;

const BLOCK_TYPES = new Set([
  "actions",
  "context",
  "context_actions",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "rich_text",
  "section",
  "table",
  "video",
]);

const SELECTS = ["static", "external", "users", "conversations", "channels"].flatMap((kind) => [
  `${kind}_select`,
  `multi_${kind}_select`,
]);

const INTERACTIVE_ELEMENTS = new Set([
  "button",
  "checkboxes",
  "datepicker",
  "datetimepicker",
  "overflow",
  "radio_buttons",
  "timepicker",
  "workflow_button",
  "plain_text_input",
  "email_text_input",
  "number_input",
  "url_text_input",
  "rich_text_input",
  "file_input",
  ...SELECTS,
]);

export function validateBlocks(blocks: unknown, maxBlocks = MESSAGE_MAX_BLOCKS): string[] {
  const errors: string[] = [];
  const report: Report = (reason, pointer) => errors.push(`${reason} [json-pointer:${pointer}]`);
  if (!Array.isArray(blocks)) {
    report("must be an array", "/blocks");
    return errors;
  }
  if (blocks.length > maxBlocks) report(`no more than ${maxBlocks} items allowed`, "/blocks");
  const blockIds = new Set<string>();
  let markdownChars = 0;
  for (const [i, raw] of blocks.entries()) {
    const at = `/blocks/${i}`;
    if (!isObject(raw)) {
      report("must be an object", at);
      continue;
    }
    if (typeof raw.type !== "string" || !BLOCK_TYPES.has(raw.type)) {
      report("failed to match all allowed schemas", at);
      continue;
    }
    if (raw.block_id !== undefined) {
      if (!checkId(raw.block_id, `${at}/block_id`, report)) continue;
      if (blockIds.has(raw.block_id as string)) report("duplicate block_id", `${at}/block_id`);
      blockIds.add(raw.block_id as string);
    }
    if (raw.type === "markdown" && typeof raw.text === "string") markdownChars += raw.text.length;
    validateBlock(raw, at, report);
  }
  if (markdownChars > MARKDOWN_BLOCKS_MAX_CHARS)
    report(`markdown blocks must total less than ${MARKDOWN_BLOCKS_MAX_CHARS + 1} characters`, "/blocks");
  return errors;
}

function validateBlock(block: Json, at: string, report: Report): void {
  switch (block.type) {
    case "header":
      checkText(block.text, `${at}/text`, 150, report, { plainOnly: true });
      return;
    case "section":
      validateSection(block, at, report);
      return;
    case "context":
      checkArray(block.elements, `${at}/elements`, 1, 10, report, (element, p) => {
        if (isObject(element) && element.type === "image") checkImage(element, p, report);
        else checkText(element, p, 3000, report);
      });
      return;
    case "actions":
      checkArray(block.elements, `${at}/elements`, 1, 25, report, (element, p) =>
        checkElement(element, p, report),
      );
      checkUniqueActionIds(block.elements, `${at}/elements`, report);
      return;
    case "image":
      checkImage(block, at, report);
      if (block.title !== undefined) checkText(block.title, `${at}/title`, 2000, report, { plainOnly: true });
      return;
    case "markdown":
      if (typeof block.text !== "string" || block.text.length === 0)
        report("must be more than 0 characters", `${at}/text`);
      return;
    case "input":
      checkText(block.label, `${at}/label`, 2000, report, { plainOnly: true });
      checkElement(block.element, `${at}/element`, report);
      return;
    case "rich_text":
      if (!Array.isArray(block.elements)) report("must be an array", `${at}/elements`);
      return;
    default:
      return;
  }
}

function validateSection(block: Json, at: string, report: Report): void {
  if (block.text === undefined && block.fields === undefined) {
    report("must provide text or fields", at);
    return;
  }
  if (block.text !== undefined) checkText(block.text, `${at}/text`, 3000, report);
  if (block.fields !== undefined)
    checkArray(block.fields, `${at}/fields`, 1, 10, report, (field, p) => checkText(field, p, 2000, report));
  if (block.accessory !== undefined) {
    const accessory = block.accessory;
    if (isObject(accessory) && accessory.type === "image") checkImage(accessory, `${at}/accessory`, report);
    else checkElement(accessory, `${at}/accessory`, report);
  }
}

function checkElement(element: unknown, at: string, report: Report): void {
  if (!isObject(element) || typeof element.type !== "string" || !INTERACTIVE_ELEMENTS.has(element.type)) {
    report("failed to match all allowed schemas", at);
    return;
  }
  if (element.action_id !== undefined) checkId(element.action_id, `${at}/action_id`, report);
  if (element.confirm !== undefined) checkConfirm(element.confirm, `${at}/confirm`, report);
  if (element.placeholder !== undefined)
    checkText(element.placeholder, `${at}/placeholder`, 150, report, { plainOnly: true });
  if (element.type === "button") {
    checkText(element.text, `${at}/text`, 75, report, { plainOnly: true });
    checkMaxString(element.value, `${at}/value`, 2000, report);
    checkMaxString(element.url, `${at}/url`, 3000, report);
    checkMaxString(element.accessibility_label, `${at}/accessibility_label`, 75, report);
    if (element.style !== undefined && element.style !== "primary" && element.style !== "danger")
      report("must be one of: primary, danger", `${at}/style`);
  }
  const optionLimit =
    element.type === "overflow" || element.type === "checkboxes" || element.type === "radio_buttons"
      ? 10
      : 100;
  if (element.options !== undefined)
    checkArray(element.options, `${at}/options`, 1, optionLimit, report, (option, p) =>
      checkOption(option, p, report),
    );
  if (element.option_groups !== undefined)
    checkArray(element.option_groups, `${at}/option_groups`, 1, 100, report, (group, p) => {
      if (!isObject(group)) {
        report("must be an object", p);
        return;
      }
      checkText(group.label, `${p}/label`, 75, report, { plainOnly: true });
      checkArray(group.options, `${p}/options`, 1, 100, report, (option, q) =>
        checkOption(option, q, report),
      );
    });
}

function checkOption(option: unknown, at: string, report: Report): void {
  if (!isObject(option)) {
    report("must be an object", at);
    return;
  }
  checkText(option.text, `${at}/text`, 75, report);
  if (typeof option.value !== "string") report("must be a string", `${at}/value`);
  else checkMaxString(option.value, `${at}/value`, 150, report);
}

function checkConfirm(confirm: unknown, at: string, report: Report): void {
  if (!isObject(confirm)) {
    report("must be an object", at);
    return;
  }
  checkText(confirm.title, `${at}/title`, 100, report, { plainOnly: true });
  checkText(confirm.text, `${at}/text`, 300, report);
  checkText(confirm.confirm, `${at}/confirm`, 30, report, { plainOnly: true });
  checkText(confirm.deny, `${at}/deny`, 30, report, { plainOnly: true });
}

function checkImage(image: Json, at: string, report: Report): void {
  if (image.image_url === undefined && image.slack_file === undefined)
    report("must provide image_url or slack_file", at);
  if (typeof image.alt_text !== "string") report("missing required field: alt_text", at);
  else checkMaxString(image.alt_text, `${at}/alt_text`, 2000, report);
}

function checkText(
  value: unknown,
  at: string,
  max: number,
  report: Report,
  { plainOnly = false }: { plainOnly?: boolean } = {},
): void {
  if (!isObject(value)) {
    report("must be a text object", at);
    return;
  }
  if (value.type !== "plain_text" && (plainOnly || value.type !== "mrkdwn")) {
    report("failed to match all allowed schemas", at);
    return;
  }
  if (typeof value.text !== "string" || value.text.length === 0) {
    report("must be more than 0 characters", `${at}/text`);
    return;
  }
  checkMaxString(value.text, `${at}/text`, max, report);
}

function checkMaxString(value: unknown, at: string, max: number, report: Report): void {
  if (value === undefined) return;
  if (typeof value !== "string") {
    report("must be a string", at);
    return;
  }
  if (value.length > max) report(`must be less than ${max + 1} characters`, at);
}

/** block_id and action_id: non-empty strings up to 255 characters. */
function checkId(value: unknown, at: string, report: Report): boolean {
  if (typeof value !== "string" || value.length === 0) {
    report("must be a non-empty string", at);
    return false;
  }
  if (value.length > 255) {
    report("must be less than 256 characters", at);
    return false;
  }
  return true;
}

function checkArray(
  value: unknown,
  at: string,
  min: number,
  max: number,
  report: Report,
  each: (item: unknown, pointer: string) => void,
): void {
  if (!Array.isArray(value)) {
    report("must be an array", at);
    return;
  }
  if (value.length < min) {
    report(`must provide at least ${min} item${min === 1 ? "" : "s"}`, at);
    return;
  }
  if (value.length > max) report(`no more than ${max} items allowed`, at);
  for (const [i, item] of value.entries()) each(item, `${at}/${i}`);
}

function checkUniqueActionIds(elements: unknown, at: string, report: Report): void {
  if (!Array.isArray(elements)) return;
  const seen = new Set<string>();
  for (const [i, element] of elements.entries()) {
    if (!isObject(element) || typeof element.action_id !== "string") continue;
    if (seen.has(element.action_id)) report("duplicate action_id", `${at}/${i}/action_id`);
    seen.add(element.action_id);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
