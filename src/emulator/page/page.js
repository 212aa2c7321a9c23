// The emulator's Slack-like page: renders the channel as the acting person sees it (Block Kit,
// threads, their own ephemerals), refreshes on every change the server announces over SSE, and
// sends typed slash commands and clicks back to the emulator, which delivers them to the bot as
// Slack would. Plain browser JavaScript: no build step, no framework.

import { elements, escapeHtml, mrkdwn, renderBlocks, setDirectory, textObject } from "/page/block-kit.js";
import { onPreviewLoaded, renderFiles } from "/page/files.js";
import { readInputs, renderHome, showModal } from "/page/views.js";

const params = new URLSearchParams(location.search);
const view = {
  user: params.get("as") ?? localStorage.getItem("drbot-demo-as") ?? "",
  channel: params.get("channel") ?? "",
  thread: "",
  /** "channel", or "home" for the app's Home tab. */
  tab: "channel",
  data: undefined,
  dismissed: new Set(),
  pendingConfirm: undefined,
};

const $ = (id) => document.getElementById(id);

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
  const files = renderFiles(m.files);
  const replies =
    !options.inThread && m.replies?.length
      ? `<div class="replies"><button type="button" data-thread="${m.ts}">${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}</button></div>`
      : "";
  return `<article class="message" data-testid="message" data-ts="${m.ts}">
    <div class="avatar ${m.bot ? "bot" : ""}">${m.bot ? "DR" : escapeHtml(initials(name))}</div>
    <div class="message-body">
      <div class="meta"><span class="name">${escapeHtml(name)}</span>${m.bot ? '<span class="app-badge">APP</span>' : ""}<span class="time">${time(m.ts)}</span>${m.edits > 0 ? '<span class="edited">(edited)</span>' : ""}</div>
      ${body}${files}${replies}
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
    .map(
      (c) =>
        `<li class="${view.tab === "channel" && c.id === data.channel?.id ? "active" : ""}" data-channel="${c.id}"># ${escapeHtml(c.name)}</li>`,
    )
    .join("");
  $("personas").innerHTML = data.personas
    .map(
      (p) =>
        `<button type="button" class="persona" role="radio" data-user="${p.userId}" aria-checked="${p.userId === view.user}">${escapeHtml(p.name)}<small>${escapeHtml(p.label)}</small></button>`,
    )
    .join("");
  const me = data.personas.find((p) => p.userId === view.user);
  $("channel-name").textContent = view.tab === "home" ? "drbot · Home" : `# ${data.channel?.name ?? "?"}`;
  $("home-tab").classList.toggle("active", view.tab === "home");
  $("home").hidden = view.tab !== "home";
  $("timeline").hidden = view.tab === "home";
  $("composer").hidden = view.tab === "home";
  if (view.tab === "home") $("home").innerHTML = renderHome(data.home);
  showModal($("modal"), data.modal);
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
    setDirectory(data.names, data.usergroups);
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
  if (target.dataset.home) {
    view.tab = "home";
    render();
    return void post("/page/home", { userId: view.user });
  }
  if (target.dataset.modal === "close") {
    const viewId = $("modal").dataset.viewId;
    $("modal").close();
    return void post("/page/view-close", { userId: view.user, viewId });
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

// Channels in the sidebar go back from the Home tab to the channel.
document.addEventListener("click", (event) => {
  const item = event.target instanceof Element ? event.target.closest("li[data-channel]") : null;
  if (!item) return;
  view.tab = "channel";
  view.channel = item.dataset.channel;
  void refresh();
});

$("modal").addEventListener("submit", async (event) => {
  event.preventDefault();
  const dialog = $("modal");
  const form = dialog.querySelector("form");
  const answer = await post("/page/view-submit", {
    userId: view.user,
    viewId: dialog.dataset.viewId,
    values: readInputs(form),
  });
  const error = form.querySelector(".modal-error");
  if (error)
    error.textContent = answer.ok ? "" : (answer.error ?? `drbot did not answer (${answer.outcome})`);
});

// Escape closes a Slack modal as Close does.
$("modal").addEventListener("cancel", (event) => {
  event.preventDefault();
  const viewId = $("modal").dataset.viewId;
  $("modal").close();
  void post("/page/view-close", { userId: view.user, viewId });
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

onPreviewLoaded(() => render());
void refresh().then(listen);
