// Block Kit and mrkdwn to HTML for the emulator's page, as Slack's clients draw them closely enough
// to read a screenshot: sections, fields, context, actions (buttons, checkboxes), dividers; mentions,
// channel links, dates in the reader's zone, code, emphasis and the emoji drbot posts.

const EMOJI = {
  warning: "⚠️",
  run: "🏃",
  rotating_light: "🚨",
  red_circle: "🔴",
  raised_hand: "✋",
  large_yellow_circle: "🟡",
  large_green_circle: "🟢",
  white_circle: "⚪",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  grey_question: "❔",
  arrow_right: "➡️",
  link: "🔗",
  double_vertical_bar: "⏸️",
  clipboard: "📋",
  white_check_mark: "✅",
  x: "❌",
  heavy_check_mark: "✔️",
  arrows_counterclockwise: "🔄",
  stopwatch: "⏱️",
  lock: "🔒",
  mega: "📣",
  calendar: "📅",
};

export function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Slack's escaping: the bot sends &amp; &lt; &gt; for literal characters. */
function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function formatPlain(text) {
  let html = escapeHtml(unescapeSlack(text));
  html = html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
  return html;
}

/** Who the ids in messages are: user names and user group handles, from the page's state. */
const directory = { names: {}, usergroups: {} };

export function setDirectory(names, usergroups) {
  directory.names = names ?? {};
  directory.usergroups = usergroups ?? {};
}

/** mrkdwn to HTML: specials (<@U…>, <#C…>, <!here>, <url|text>) first, then code, then emphasis. */
export function mrkdwn(text) {
  const names = directory.names;
  const parts = text.split(/(<[^<>\s][^<>]*>)/);
  const out = parts.map((part) => {
    const special = /^<([^<>]+)>$/.exec(part);
    if (!special) return formatInline(part);
    const [target, label] = special[1].split("|");
    if (target.startsWith("@"))
      return `<span class="mention">@${escapeHtml(names[target.slice(1)] ?? target.slice(1))}</span>`;
    if (target.startsWith("#"))
      return `<span class="mention">#${escapeHtml(label ?? target.slice(1))}</span>`;
    if (target.startsWith("!date^")) {
      // <!date^EPOCH^FORMAT|fallback>: Slack shows the time in the reader's zone.
      const epoch = Number(target.split("^")[1]);
      const when = Number.isFinite(epoch) ? new Date(epoch * 1000) : undefined;
      return escapeHtml(
        when ? when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : (label ?? ""),
      );
    }
    if (target.startsWith("!subteam^")) {
      const id = target.slice("!subteam^".length);
      return `<span class="mention">@${escapeHtml(directory.usergroups[id] ?? id)}</span>`;
    }
    if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
    if (/^https?:\/\//.test(target))
      return `<a href="${escapeHtml(target)}" target="_blank" rel="noreferrer">${escapeHtml(unescapeSlack(label ?? target))}</a>`;
    return formatInline(part);
  });
  return out.join("");
}

function formatInline(text) {
  const pieces = text.split(/(```[\s\S]*?```|`[^`\n]+`)/);
  return pieces
    .map((piece) => {
      if (piece.startsWith("```") && piece.endsWith("```") && piece.length >= 6)
        return `<pre>${escapeHtml(unescapeSlack(piece.slice(3, -3)))}</pre>`;
      if (piece.startsWith("`") && piece.endsWith("`") && piece.length >= 2)
        return `<code>${escapeHtml(unescapeSlack(piece.slice(1, -1)))}</code>`;
      return formatPlain(piece)
        .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>")
        .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>")
        .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>");
    })
    .join("");
}

export function textObject(t) {
  if (!t) return "";
  return t.type === "mrkdwn" ? mrkdwn(t.text) : formatPlain(t.text);
}

/** Remembers each interactive element so a click can find its confirm dialog and ids. */
export const elements = new Map();
let elementSeq = 0;

function renderElement(element, source) {
  const key = `el${++elementSeq}`;
  elements.set(key, { element, source });
  if (element.type === "button") {
    const style = element.style ? ` ${element.style}` : "";
    return `<button type="button" class="btn${style}" data-el="${key}" data-action-id="${escapeHtml(element.action_id ?? "")}">${formatPlain(element.text?.text ?? "")}</button>`;
  }
  if (element.type === "checkboxes") {
    const initial = new Set((element.initial_options ?? []).map((o) => o.value));
    const boxes = (element.options ?? []).map(
      (o) =>
        `<label><input type="checkbox" data-el="${key}" value="${escapeHtml(o.value ?? "")}" ${initial.has(o.value) ? "checked" : ""}> ${textObject(o.text)}</label>`,
    );
    return `<div class="checkboxes" data-action-id="${escapeHtml(element.action_id ?? "")}">${boxes.join("")}</div>`;
  }
  if (element.type === "image")
    return `<img src="${escapeHtml(element.image_url ?? "")}" alt="${escapeHtml(element.alt_text ?? "")}" width="16" height="16">`;
  return textObject(element);
}

export function renderBlocks(blocks, source) {
  return blocks
    .map((block) => {
      switch (block.type) {
        case "header":
          return `<div class="block block-header">${formatPlain(block.text?.text ?? "")}</div>`;
        case "section": {
          const text = block.text ? `<div class="mrkdwn">${textObject(block.text)}</div>` : "";
          const fields = block.fields?.length
            ? `<div class="block-fields">${block.fields.map((f) => `<div class="mrkdwn">${textObject(f)}</div>`).join("")}</div>`
            : "";
          const accessory = block.accessory ? `<div>${renderElement(block.accessory, source)}</div>` : "";
          return `<div class="block ${accessory ? "section-with-accessory" : ""}"><div>${text}${fields}</div>${accessory}</div>`;
        }
        case "context":
          return `<div class="block block-context">${(block.elements ?? []).map((e) => `<span class="mrkdwn">${renderElement(e, source)}</span>`).join("")}</div>`;
        case "divider":
          return `<hr class="block-divider">`;
        case "actions":
          return `<div class="block block-actions" data-block-id="${escapeHtml(block.block_id ?? "")}">${(block.elements ?? []).map((e) => renderElement(e, source)).join("")}</div>`;
        case "rich_text":
          return `<div class="block mrkdwn">${formatPlain(JSON.stringify(block.elements ?? []))}</div>`;
        default:
          return `<div class="block unknown-block">[${escapeHtml(String(block.type))} block]</div>`;
      }
    })
    .join("");
}
