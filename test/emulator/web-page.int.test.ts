import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { type RunningApp, startHttpApp } from "./bolt-test-apps.js";

/** The emulator's page for people: what each person sees, and commands and clicks sent as Slack sends them. */
let emulator: SlackEmulator;
let app: RunningApp | undefined;
let client: WebClient;

beforeEach(async () => {
  emulator = new SlackEmulator({
    webPage: {
      banner: "sites: SIMULATED",
      personas: [
        { userId: "U0ALICE", label: "on-call" },
        { userId: "U0BOB", label: "approver" },
      ],
      channel: "C0INCIDENT",
    },
  });
  await emulator.start();
  client = new WebClient(emulator.botToken, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await emulator.stop();
});

const page = (path: string, init?: RequestInit) =>
  fetch(`${emulator.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
const post = (path: string, body: unknown) =>
  page(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const stateFor = async (user: string) =>
  (await (await page(`/page/state?user=${user}&channel=C0INCIDENT`)).json()) as {
    banner: string;
    messages: Array<{ text: string; replies: Array<{ text: string }> }>;
    ephemerals: Array<{ text: string }>;
  };

describe("the emulator's web page", () => {
  it("serves the page, its script and its style only when asked for, and nothing of it otherwise", async () => {
    for (const path of ["/", "/page/page.js", "/page/page.css"]) expect((await page(path)).status).toBe(200);
    const plain = new SlackEmulator();
    await plain.start();
    try {
      expect((await fetch(`${plain.baseUrl}/`, { signal: AbortSignal.timeout(5_000) })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it("shows the channel with its threads to everyone, and an ephemeral only to the person it was for", async () => {
    const parent = await client.chat.postMessage({ channel: "C0INCIDENT", text: "run started" });
    await client.chat.postMessage({ channel: "C0INCIDENT", text: "step 1 done", thread_ts: parent.ts! });
    await client.chat.postEphemeral({ channel: "C0INCIDENT", user: "U0ALICE", text: "only for Alice" });
    const alice = await stateFor("U0ALICE");
    const bob = await stateFor("U0BOB");
    expect(alice.banner).toBe("sites: SIMULATED");
    expect(alice.messages.map((m) => [m.text, m.replies.map((r) => r.text)])).toEqual([
      ["run started", ["step 1 done"]],
    ]);
    expect(alice.ephemerals.map((e) => e.text)).toEqual(["only for Alice"]);
    expect(bob.messages).toEqual(alice.messages);
    expect(bob.ephemerals).toEqual([]);
  });

  it("sends a typed slash command to the app signed and form-encoded, and a click with the button's ids", async () => {
    const seen: string[] = [];
    app = await startHttpApp(emulator, (bolt) => {
      bolt.command("/dr", async ({ command, ack, client: web }) => {
        await ack();
        seen.push(`${command.user_id} ${command.command} ${command.text}`);
        await web.chat.postMessage({
          channel: command.channel_id,
          text: "card",
          blocks: [
            { type: "section", text: { type: "mrkdwn", text: "card" } },
            {
              type: "actions",
              elements: [
                {
                  type: "button",
                  text: { type: "plain_text", text: "Approve" },
                  action_id: "dr:approve",
                  value: "run-1|hash",
                },
              ],
            },
          ],
        });
      });
      bolt.action("dr:approve", async ({ ack, body, action }) => {
        await ack();
        seen.push(`${body.user.id} clicked ${(action as { value?: string }).value}`);
      });
    });
    const typed = await post("/page/command", {
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "/dr status  --now",
    });
    expect(await typed.json()).toMatchObject({ ok: true, outcome: "acked", status: 200 });
    const card = await emulator.waitForMessage("C0INCIDENT", "card");
    const clicked = await post("/page/action", {
      userId: "U0BOB",
      channelId: "C0INCIDENT",
      messageTs: card.ts,
      actionId: "dr:approve",
    });
    expect(await clicked.json()).toMatchObject({ ok: true, outcome: "acked" });
    await emulator.waitFor(() => seen.length === 2, { description: "the command and the click" });
    expect(seen).toEqual(["U0ALICE /dr status  --now", "U0BOB clicked run-1|hash"]);
    expect(emulator.events("interaction_delivered").map((e) => e.kind)).toEqual([
      "slash_command",
      "block_actions",
    ]);
  });

  it("shows a person their modal with its errors, submits and closes it, and opens their Home tab", async () => {
    const submitted: string[] = [];
    app = await startHttpApp(emulator, (bolt) => {
      bolt.command("/dr", async ({ ack, body, client: web }) => {
        await ack();
        await web.views.open({
          trigger_id: body.trigger_id,
          view: {
            type: "modal",
            callback_id: "confirm",
            title: { type: "plain_text", text: "Confirm" },
            submit: { type: "plain_text", text: "Go" },
            blocks: [
              {
                type: "input",
                block_id: "scope",
                label: { type: "plain_text", text: "Scope" },
                element: { type: "plain_text_input", action_id: "typed" },
              },
            ],
          },
        });
      });
      bolt.view("confirm", async ({ ack, view }) => {
        const typed = view.state.values.scope?.typed?.value ?? "";
        submitted.push(typed);
        await ack(
          typed === "payments"
            ? undefined
            : { response_action: "errors", errors: { scope: "Type payments" } },
        );
      });
      bolt.event("app_home_opened", async ({ event, client: web }) => {
        await web.views.publish({
          user_id: event.user,
          view: { type: "home", blocks: [{ type: "section", text: { type: "mrkdwn", text: "drbot home" } }] },
        });
      });
    });
    await post("/page/command", {
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "/dr failover payments",
    });
    const modal = await emulator.waitForModal("U0ALICE");
    const seen = async () =>
      (await (await page("/page/state?user=U0ALICE&channel=C0INCIDENT")).json()) as {
        modal: { id: string; title: { text: string }; errors: Record<string, string> } | null;
        home: Array<{ text: { text: string } }> | null;
      };
    expect((await seen()).modal).toMatchObject({ id: modal.id, title: { text: "Confirm" }, errors: {} });
    expect((await stateFor("U0BOB")) as unknown).toMatchObject({ modal: null });

    const empty = await post("/page/view-submit", { userId: "U0ALICE", viewId: modal.id, values: {} });
    expect(empty.status).toBe(409);
    const wrong = await post("/page/view-submit", {
      userId: "U0ALICE",
      viewId: modal.id,
      values: { typed: "pay" },
    });
    expect(await wrong.json()).toMatchObject({ ok: true, viewOutcome: "errors" });
    expect((await seen()).modal?.errors).toEqual({ scope: "Type payments" });
    const right = await post("/page/view-submit", {
      userId: "U0ALICE",
      viewId: modal.id,
      values: { typed: "payments" },
    });
    expect(await right.json()).toMatchObject({ ok: true, viewOutcome: "closed" });
    expect((await seen()).modal).toBeNull();
    expect(submitted).toEqual(["pay", "payments"]);

    expect(await (await post("/page/home", { userId: "U0ALICE" })).json()).toMatchObject({ ok: true });
    await emulator.waitFor(() => emulator.views.home("U0ALICE"));
    expect((await seen()).home?.[0]?.text.text).toBe("drbot home");
  });

  it("sends a checkboxes change with the options ticked, in the action and in state.values", async () => {
    const received: unknown[] = [];
    app = await startHttpApp(emulator, (bolt) => {
      bolt.action("pick", async ({ ack, body, action }) => {
        await ack();
        received.push(
          (action as { selected_options: Array<{ value: string }> }).selected_options.map((o) => o.value),
        );
        received.push(
          (body as { state: { values: Record<string, Record<string, unknown>> } }).state.values.checks,
        );
      });
    });
    const options = ["a", "b", "c"].map((v) => ({
      text: { type: "plain_text" as const, text: v.toUpperCase() },
      value: v,
    }));
    const posted = await client.chat.postMessage({
      channel: "C0INCIDENT",
      text: "pick",
      blocks: [
        {
          type: "actions",
          block_id: "checks",
          elements: [{ type: "checkboxes", action_id: "pick", options }],
        },
      ],
    });
    const answer = await post("/page/action", {
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      messageTs: posted.ts,
      actionId: "pick",
      selectedOptions: ["a", "c"],
    });
    expect(await answer.json()).toMatchObject({ ok: true });
    await emulator.waitFor(() => received.length === 2, { description: "the checkboxes action" });
    expect(received[0]).toEqual(["a", "c"]);
    expect(received[1]).toEqual({ pick: { type: "checkboxes", selected_options: [options[0], options[2]] } });
  });

  it("refuses what the page would never send, saying why", async () => {
    const notCommand = await post("/page/command", {
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "hello",
    });
    expect(notCommand.status).toBe(400);
    expect(((await notCommand.json()) as { error: string }).error).toContain("slash command");
    const badUser = await post("/page/command", {
      userId: "<script>",
      channelId: "C0INCIDENT",
      text: "/dr help",
    });
    expect(badUser.status).toBe(400);
    const notJson = await page("/page/action", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    expect(emulator.events("interaction_delivered")).toEqual([]);
  });

  it("announces every change to the page over Server-Sent Events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${emulator.baseUrl}/page/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^data: \d+/);
    await client.chat.postMessage({ channel: "C0INCIDENT", text: "changed" });
    const next = new TextDecoder().decode((await reader.read()).value);
    expect(next).toMatch(/^data: \d+/);
    controller.abort();
  });

  it("shows the files an upload shared under its message, serving a picture to draw, a Markdown file to preview and the rest as a download", async () => {
    await client.filesUploadV2({
      channel_id: "C0INCIDENT",
      initial_comment: "The report of run-1: completed",
      file_uploads: [
        {
          file: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"),
          filename: "run-1-timeline.svg",
          title: "timeline",
        },
        { file: Buffer.from("# Report"), filename: "run-1-report.md", title: "report" },
        { file: Buffer.from("{}"), filename: "run-1-report.json", title: "report (JSON)" },
      ],
    });
    const state = (await (await page("/page/state?user=U0ALICE&channel=C0INCIDENT")).json()) as {
      messages: Array<{
        text: string;
        files: Array<{ name: string; preview: string; url: string; size: number }>;
      }>;
    };
    const [message] = state.messages;
    expect(message!.text).toBe("The report of run-1: completed");
    expect(message!.files.map((f) => [f.name, f.preview])).toEqual([
      ["run-1-timeline.svg", "image"],
      ["run-1-report.md", "markdown"],
      ["run-1-report.json", "download"],
    ]);
    const [svg, markdown, json] = await Promise.all(message!.files.map((f) => page(f.url)));
    expect(svg!.headers.get("content-type")).toBe("image/svg+xml");
    expect(await markdown!.text()).toBe("# Report");
    expect(json!.headers.get("content-disposition")).toBe('attachment; filename="run-1-report.json"');
    for (const answer of [svg, markdown, json]) {
      // An uploaded file opened on its own runs no script and is never sniffed as something else.
      expect(answer!.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer!.headers.get("content-security-policy")).toContain("sandbox");
    }
    expect((await page("/page/files/FNOSUCHFILE")).status).toBe(404);
  });

  it("serves a favicon, at the address browsers ask for as well as the one the page links", async () => {
    for (const path of ["/favicon.ico", "/page/favicon.svg"]) {
      const answer = await page(path);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toBe("image/svg+xml");
    }
  });
});
