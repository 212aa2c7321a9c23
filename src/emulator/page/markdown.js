// The Markdown drbot uploads (its run reports) as HTML for the emulator's page, the way Slack previews
// a Markdown file: headings, paragraphs, lists, tables, fenced code, inline code and emphasis. Safe by
// construction: every piece of text is HTML-escaped before any tag is added, and no link, image or
// raw HTML of the source is ever turned into markup, so an uploaded file cannot run script on the page.

import { escapeHtml } from "/page/block-kit.js";

const FENCE = /^(`{3,})\s*([\w-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const LIST_ITEM = /^(\s*)[-*]\s?(.*)$/;
const TABLE_ROW = /^\s*\|/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

export function renderMarkdown(source) {
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const body = [];
      i++;
      // The report's fences are longer than any backtick run inside them: only the same fence closes.
      while (i < lines.length && lines[i].trim() !== fence[1]) body.push(lines[i++]);
      i++;
      out.push(`<pre><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
      continue;
    }
    if (TABLE_ROW.test(line)) {
      const rows = [];
      while (i < lines.length && TABLE_ROW.test(lines[i])) rows.push(lines[i++]);
      out.push(table(rows));
      continue;
    }
    if (LIST_ITEM.test(line) && /^\s*[-*](\s|$)/.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*[-*](\s|$)/.test(lines[i])) items.push(lines[i++]);
      out.push(list(items));
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() !== "" && !startsBlock(lines[i])) paragraph.push(lines[i++]);
    out.push(`<p>${inline(paragraph.join(" "))}</p>`);
  }
  return out.join("\n");
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || TABLE_ROW.test(line) || /^\s*[-*]\s/.test(line);
}

/** Items indented deeper than the first become a list inside the item before them. */
function list(items) {
  const depth = (item) => LIST_ITEM.exec(item)[1].length;
  const top = depth(items[0]);
  const html = [];
  for (let k = 0; k < items.length; k++) {
    const text = LIST_ITEM.exec(items[k])[2];
    const nested = [];
    while (k + 1 < items.length && depth(items[k + 1]) > top) nested.push(items[++k]);
    html.push(`<li>${inline(text)}${nested.length ? list(nested) : ""}</li>`);
  }
  return `<ul>${html.join("")}</ul>`;
}

function table(rows) {
  const cells = rows.filter((row) => !TABLE_RULE.test(row)).map(splitRow);
  const hasRule = rows.length > 1 && TABLE_RULE.test(rows[1]);
  const head = hasRule ? cells.shift() : undefined;
  const headHtml = head ? `<thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead>` : "";
  const bodyHtml = cells
    .map((row) => `<tr>${row.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`)
    .join("");
  return `<table>${headHtml}<tbody>${bodyHtml}</tbody></table>`;
}

/** Cells split on pipes that are not escaped; the outer pipes open and close the row. */
function splitRow(row) {
  const cells = [];
  let current = "";
  const text = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (ch === "\\" && k + 1 < text.length) {
      current += ch + text[++k];
      continue;
    }
    if (ch === "|") {
      cells.push(current.trim());
      current = "";
    } else current += ch;
  }
  cells.push(current.trim());
  return cells;
}

/**
 * Inline code, **strong**, _emphasis_ and backslash escapes. The text is escaped first; the markers
 * are found in the escaped text, so what they wrap can never contain a tag of its own.
 */
function inline(text) {
  const parts = text.split(/(`[^`]+`)/);
  return parts
    .map((part) => {
      if (part.length >= 2 && part.startsWith("`") && part.endsWith("`"))
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      const escapes = [];
      // Escaped characters wait behind a private-use marker, so no emphasis can pair with them.
      const held = part.replace(/\uE000/g, "").replace(/\\([\\`*_<>[\]|#-])/g, (_, ch) => {
        escapes.push(ch);
        return `\uE000${escapes.length - 1}\uE000`;
      });
      return escapeHtml(held)
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,:;!?])/g, "$1<em>$2</em>")
        .replace(/\uE000(\d+)\uE000/g, (_, n) => escapeHtml(escapes[Number(n)]));
    })
    .join("");
}
