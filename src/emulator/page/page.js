// The emulator's Slack-like page: renders the channel as the acting person sees it (Block Kit,
// threads, their own ephemerals), refreshes on every change the server announces over SSE, and
// sends typed slash commands and clicks back to the emulator, which delivers them to the bot as
// Slack would. Plain browser JavaScript: no build step, no framework.

const EMOJI = {
  warning: "⚠️",
  run: "🏃",
  rotating_light: "🚨",
  red_circle: "🔴",
  raised_hand: "✋",
  large_yellow_circle: "🟡",
  large_green_circle: "🟢",
  hourglass_flowing_sand: "⏳",
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

const params = new URLSearchParams(location.search);
const view = {
  user: params.get("as") ?? localStorage.getItem("drbot-demo-as") ?? "",
  channel: params.get("channel") ?? "",
  thread: "",
  data: undefined,
  dismissed: new Set(),
  pendingConfirm: undefined,
};

const $ = (id) => document.getElementById(id);

function escapeHtml(text) {
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

/** mrkdwn to HTML: specials (<@U…>, <#C…>, <!here>, <url|text>) first, then code, then emphasis. */
function mrkdwn(text) {
  const names = view.data?.names ?? {};
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
      return `<span class="mention">@${escapeHtml(view.data?.usergroups?.[id] ?? id)}</span>`;
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

function textObject(t) {
  if (!t) return "";
  return t.type === "mrkdwn" ? mrkdwn(t.text) : formatPlain(t.text);
}

/** Remembers each interactive element so a click can find its confirm dialog and ids. */
const elements = new Map();
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

function renderBlocks(blocks, source) {
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

function time(ts) {
  const d = new Date(Number(ts.split(".")[0]) * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function initials(name) {
  return name
    .split(/\s+/)
    .map((w) => w[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
}

function renderMessage(m, options = {}) {
  const name = m.bot ? "drbot" : (view.data.names[m.userId] ?? m.userId);
  const source = { ts: m.ts, isEphemeral: false };
  const body = m.blocks?.length
    ? renderBlocks(m.blocks, source)
    : `<div class="mrkdwn">${mrkdwn(m.text)}</div>`;
  const replies =
    !options.inThread && m.replies?.length
      ? `<div class="replies"><button type="button" data-thread="${m.ts}">${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}</button></div>`
      : "";
  return `<article class="message" data-testid="message" data-ts="${m.ts}">
    <div class="avatar ${m.bot ? "bot" : ""}">${m.bot ? "DR" : escapeHtml(initials(name))}</div>
    <div class="message-body">
      <div class="meta"><span class="name">${escapeHtml(name)}</span>${m.bot ? '<span class="app-badge">APP</span>' : ""}<span class="time">${time(m.ts)}</span>${m.edits > 0 ? '<span class="edited">(edited)</span>' : ""}</div>
      ${body}${replies}
    </div>
  </article>`;
}

function renderEphemeral(e) {
  const source = { ts: e.ts, isEphemeral: true };
  const body = e.blocks?.length
    ? renderBlocks(e.blocks, source)
    : `<div class="mrkdwn">${mrkdwn(e.text)}</div>`;
  return `<article class="message ephemeral" data-testid="ephemeral" data-ts="${e.ts}">
    <div class="avatar bot">DR</div>
    <div class="message-body">
      <div class="ephemeral-note">👁 Only visible to you<button type="button" data-dismiss="${e.ts}">Dismiss</button></div>
      <div class="meta"><span class="name">drbot</span><span class="app-badge">APP</span><span class="time">${time(e.ts)}</span></div>
      ${body}
    </div>
  </article>`;
}

function render() {
  const data = view.data;
  if (!data) return;
  elements.clear();
  $("banner").textContent = data.banner;
  $("workspace").textContent = data.team;
  $("channels").innerHTML = data.channels
    .map((c) => `<li class="${c.id === data.channel?.id ? "active" : ""}"># ${escapeHtml(c.name)}</li>`)
    .join("");
  $("personas").innerHTML = data.personas
    .map(
      (p) =>
        `<button type="button" class="persona" role="radio" data-user="${p.userId}" aria-checked="${p.userId === view.user}">${escapeHtml(p.name)}<small>${escapeHtml(p.label)}</small></button>`,
    )
    .join("");
  const me = data.personas.find((p) => p.userId === view.user);
  $("channel-name").textContent = `# ${data.channel?.name ?? "?"}`;
  $("acting").textContent = me ? `acting as ${me.name} (${me.label})` : "";

  const timeline = $("timeline");
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
  const items = [
    ...data.messages.map((m) => ({ ts: m.ts, html: renderMessage(m) })),
    ...data.ephemerals
      .filter((e) => !e.threadTs && !view.dismissed.has(e.ts))
      .map((e) => ({ ts: e.ts, html: renderEphemeral(e) })),
  ].sort((a, b) => compareTs(a.ts, b.ts));
  timeline.innerHTML = items.length
    ? items.map((i) => i.html).join("")
    : `<p class="empty">Nothing here yet. Type <code>/dr status</code> below.</p>`;
  if (nearBottom) timeline.scrollTop = timeline.scrollHeight;
  renderThread();
}

function renderThread() {
  const pane = $("thread");
  const parent = view.data?.messages.find((m) => m.ts === view.thread);
  if (!parent) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const threadEphemerals = view.data.ephemerals
    .filter((e) => e.threadTs === parent.ts && !view.dismissed.has(e.ts))
    .map((e) => ({ ts: e.ts, html: renderEphemeral(e) }));
  const replies = parent.replies.map((r) => ({ ts: r.ts, html: renderMessage(r, { inThread: true }) }));
  $("thread-body").innerHTML = [
    renderMessage(parent, { inThread: true }),
    ...[...replies, ...threadEphemerals].sort((a, b) => compareTs(a.ts, b.ts)).map((i) => i.html),
  ].join("");
}

function compareTs(a, b) {
  const [as, an] = a.split(".").map(Number);
  const [bs, bn] = b.split(".").map(Number);
  return as - bs || an - bn;
}

let refreshing = false;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const url = `/page/state?user=${encodeURIComponent(view.user)}&channel=${encodeURIComponent(view.channel)}`;
    const response = await fetch(url, { cache: "no-store" });
    const data = await response.json();
    if (!view.user) view.user = data.personas[0]?.userId ?? "";
    if (!view.channel) view.channel = data.channel?.id ?? "";
    view.data = data;
    render();
    document.body.dataset.seq = String(data.seq);
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!answer.ok)
    $("composer-error").textContent = answer.error
      ? `Refused: ${answer.error}`
      : `drbot did not acknowledge in time (${answer.outcome}, HTTP ${answer.status})`;
  else $("composer-error").textContent = "";
  return answer;
}

function click(key, button) {
  const found = elements.get(key);
  if (!found) return;
  const { element, source } = found;
  const send = async () => {
    button.disabled = true;
    try {
      await post("/page/action", {
        userId: view.user,
        channelId: view.channel,
        messageTs: source.ts,
        actionId: element.action_id,
        isEphemeral: source.isEphemeral,
      });
    } finally {
      button.disabled = false;
    }
  };
  if (!element.confirm) return void send();
  const c = element.confirm;
  $("confirm-title").textContent = c.title?.text ?? "Are you sure?";
  $("confirm-text").innerHTML = textObject(c.text);
  $("confirm-ok").textContent = c.confirm?.text ?? "Yes";
  $("confirm-ok").className = c.style === "danger" ? "danger" : "primary";
  $("confirm-deny").textContent = c.deny?.text ?? "Cancel";
  view.pendingConfirm = send;
  $("confirm").showModal();
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("button") : null;
  if (!target) return;
  if (target.dataset.el) return click(target.dataset.el, target);
  if (target.dataset.user) {
    view.user = target.dataset.user;
    localStorage.setItem("drbot-demo-as", view.user);
    return void refresh();
  }
  if (target.dataset.thread) {
    view.thread = target.dataset.thread;
    return renderThread();
  }
  if (target.dataset.dismiss) {
    view.dismissed.add(target.dataset.dismiss);
    return render();
  }
});

// Slack sends a checkboxes element's whole selection on every change.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || !box.dataset.el) return;
  const found = elements.get(box.dataset.el);
  if (!found) return;
  const group = box.closest(".checkboxes");
  const selected = [...(group?.querySelectorAll("input:checked") ?? [])].map((b) => b.value);
  void post("/page/action", {
    userId: view.user,
    channelId: view.channel,
    messageTs: found.source.ts,
    actionId: found.element.action_id,
    isEphemeral: found.source.isEphemeral,
    selectedOptions: selected,
  });
});

$("thread-close").addEventListener("click", () => {
  view.thread = "";
  renderThread();
});

$("confirm").addEventListener("close", () => {
  const send = view.pendingConfirm;
  view.pendingConfirm = undefined;
  if ($("confirm").returnValue === "ok" && send) void send();
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) return;
  if (!text.startsWith("/")) {
    $("composer-error").textContent = "This demo channel takes slash commands: try /dr help";
    return;
  }
  input.value = "";
  await post("/page/command", { userId: view.user, channelId: view.channel, text });
});

function listen() {
  const events = new EventSource("/page/events");
  let timer;
  events.onmessage = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 30);
  };
}

void refresh().then(listen);
