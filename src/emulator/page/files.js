// Files the app uploaded, under their message as Slack's client shows them: a picture inline (the
// run's timeline), a Markdown file as a rendered preview (the report), anything else as a download
// (the JSON report). A preview's text is fetched once and kept, so the page's redraws on every
// change do not fetch it again.

import { escapeHtml } from "/page/block-kit.js";
import { renderMarkdown } from "/page/markdown.js";

const previews = new Map();
let onLoaded = () => undefined;

/** Called when a Markdown preview has arrived, so the page can draw it. */
export function onPreviewLoaded(callback) {
  onLoaded = callback;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function kindLabel(file) {
  const suffix = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toUpperCase();
  return suffix ?? "File";
}

function header(file) {
  return `<div class="file-head"><span class="file-kind">${escapeHtml(kindLabel(file))}</span><span class="file-title">${escapeHtml(file.title)}</span><a class="file-get" href="${escapeHtml(file.url)}" download="${escapeHtml(file.name)}" title="Download ${escapeHtml(file.name)}">⬇</a></div>`;
}

function markdownPreview(file) {
  const known = previews.get(file.id);
  if (known === undefined) {
    previews.set(file.id, { html: '<p class="file-loading">Loading the preview…</p>' });
    fetch(file.url, { cache: "no-store" })
      .then((response) =>
        response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`)),
      )
      .then(
        (text) => previews.set(file.id, { html: renderMarkdown(text) }),
        (error) =>
          previews.set(file.id, {
            html: `<p class="file-loading">No preview: ${escapeHtml(String(error?.message ?? error))}</p>`,
          }),
      )
      .finally(() => onLoaded());
    return previews.get(file.id).html;
  }
  return known.html;
}

function renderFile(file) {
  const attrs = `data-testid="file" data-file-id="${escapeHtml(file.id)}" data-file-name="${escapeHtml(file.name)}"`;
  if (file.preview === "image")
    return `<figure class="file file-image" ${attrs}>${header(file)}<a href="${escapeHtml(file.url)}" target="_blank" rel="noreferrer"><img src="${escapeHtml(file.url)}" alt="${escapeHtml(file.title)}"></a></figure>`;
  if (file.preview === "markdown")
    return `<div class="file file-markdown" ${attrs}>${header(file)}<div class="markdown-body">${markdownPreview(file)}</div></div>`;
  return `<a class="file file-download" ${attrs} href="${escapeHtml(file.url)}" download="${escapeHtml(file.name)}"><span class="file-kind">${escapeHtml(kindLabel(file))}</span><span class="file-title">${escapeHtml(file.name)}</span><span class="file-size">${size(file.size)} · Download</span></a>`;
}

export function renderFiles(files) {
  if (!files?.length) return "";
  return `<div class="files">${files.map(renderFile).join("")}</div>`;
}
