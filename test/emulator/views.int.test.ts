import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { type RunningApp, startHttpApp, startSocketApp } from "./bolt-test-apps.js";

/**
 * Modals and the Home tab through the real Bolt and @slack/web-api: views.open with a trigger id,
 * views.update, views.publish, view_submission and view_closed, and app_home_opened.
 */
let emulator: SlackEmulator;
const apps: RunningApp[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  await emulator?.stop();
});

async function start(options: ConstructorParameters<typeof SlackEmulator>[0] = {}) {
  emulator = new SlackEmulator({ mode: "http", ...options });
  await emulator.start();
  return new WebClient(emulator.botToken, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
}

const confirmModal = (title = "Confirm failover") => ({
  type: "modal" as const,
  callback_id: "confirm",
  private_metadata: "run-1",
  title: { type: "plain_text" as const, text: title },
  submit: { type: "plain_text" as const, text: "Fail over" },
  close: { type: "plain_text" as const, text: "Cancel" },
  blocks: [
    { type: "section", text: { type: "mrkdwn", text: "Type *payments* to confirm." } },
    {
      type: "input",
      block_id: "scope",
      label: { type: "plain_text", text: "Scope name" },
      element: { type: "plain_text_input", action_id: "typed" },
    },
  ],
});

describe("views.open", () => {
  it("opens a modal for the person whose command carried the trigger id, once", async () => {
    await start();
    const opened: Array<{ ok: boolean; error?: string }> = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client }) => {
          await ack();
          opened.push(await client.views.open({ trigger_id: body.trigger_id, view: confirmModal() }));
          opened.push(
            await client.views
              .open({ trigger_id: body.trigger_id, view: confirmModal() })
              .catch((error: { data: { ok: boolean; error: string } }) => error.data),
          );
        });
      }),
    );

    await emulator.sendSlashCommand({
      userId: "U0ALICE",
      channelId: "C0INCIDENT",
      text: "failover payments",
    });
    const modal = await emulator.waitForModal("U0ALICE");

    expect(modal.view.title).toEqual({ type: "plain_text", text: "Confirm failover" });
    expect(emulator.views.modal("U0BOB")).toBeUndefined();
    await emulator.waitFor(() => opened.length === 2);
    expect(opened[0]).toMatchObject({ ok: true, view: { id: modal.id, callback_id: "confirm" } });
    expect(opened[1]).toMatchObject({ ok: false, error: "exchanged_trigger_id" });
  });

  it("refuses a trigger id older than 3 seconds, and one Slack never issued", async () => {
    let now = Date.now();
    const client = await start({ now: () => now });
    let triggerId = "";
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body }) => {
          triggerId = body.trigger_id;
          await ack();
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "failover" });
    now += 3_001;

    await expect(client.views.open({ trigger_id: triggerId, view: confirmModal() })).rejects.toMatchObject({
      data: { error: "expired_trigger_id" },
    });
    await expect(client.views.open({ trigger_id: "1.2.abc", view: confirmModal() })).rejects.toMatchObject({
      data: { error: "invalid_trigger_id" },
    });
  });

  it("validates the modal as Slack does: title, submit and close up to 24 characters, 100 blocks, inputs need submit", async () => {
    const client = await start();
    let triggerId = "";
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body }) => {
          triggerId = body.trigger_id;
          await ack();
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT" });
    const refusal = (view: object) =>
      client.views
        .open({ trigger_id: triggerId, view: view as never })
        .then(() => undefined)
        .catch(
          (error: { data: { error: string; response_metadata?: { messages: string[] } } }) => error.data,
        );

    expect(await refusal(confirmModal("A title longer than 24 chars"))).toEqual({
      ok: false,
      error: "invalid_arguments",
      response_metadata: {
        messages: ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"],
      },
    });
    const section = { type: "section", text: { type: "mrkdwn", text: "x" } };
    expect(
      (await refusal({ ...confirmModal(), blocks: Array(101).fill(section) }))?.response_metadata,
    ).toEqual({
      messages: ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"],
    });
    const { submit: _, ...withoutSubmit } = confirmModal();
    expect((await refusal(withoutSubmit))?.response_metadata?.messages).toEqual([
      "[ERROR] missing required field: submit [json-pointer:/view]",
    ]);
    expect(emulator.views.modal("U0ALICE")).toBeUndefined();
  });
});

describe("view_submission and view_closed", () => {
  it("sends the typed values signed to the app; errors it answers stay in the modal, an empty ack closes it", async () => {
    await start();
    const submitted: string[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client }) => {
          await ack();
          await client.views.open({ trigger_id: body.trigger_id, view: confirmModal() });
        });
        app.view("confirm", async ({ ack, view, body }) => {
          const typed = view.state.values.scope?.typed?.value ?? "";
          submitted.push(`${body.user.id}:${view.private_metadata}:${typed}`);
          if (typed !== "payments")
            await ack({ response_action: "errors", errors: { scope: "Type payments" } });
          else await ack();
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT" });
    const modal = await emulator.waitForModal("U0ALICE");

    const wrong = await emulator.submitView({ userId: "U0ALICE", values: { typed: "payment" } });
    expect(wrong).toMatchObject({
      outcome: "acked",
      viewOutcome: "errors",
      errors: { scope: "Type payments" },
    });
    expect(emulator.views.modal("U0ALICE")).toMatchObject({
      id: modal.id,
      errors: { scope: "Type payments" },
    });

    const right = await emulator.submitView({ userId: "U0ALICE", values: { typed: "payments" } });
    expect(right.viewOutcome).toBe("closed");
    expect(emulator.views.modal("U0ALICE")).toBeUndefined();
    expect(submitted).toEqual(["U0ALICE:run-1:payment", "U0ALICE:run-1:payments"]);
    expect(right.payload).toMatchObject({
      type: "view_submission",
      user: { id: "U0ALICE" },
      view: {
        id: modal.id,
        callback_id: "confirm",
        state: { values: { scope: { typed: { value: "payments" } } } },
      },
    });
  });

  it("refuses to send a form whose required input is empty, as Slack's client does", async () => {
    await start();
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client }) => {
          await ack();
          await client.views.open({ trigger_id: body.trigger_id, view: confirmModal() });
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT" });
    await emulator.waitForModal("U0ALICE");

    await expect(emulator.submitView({ userId: "U0ALICE", values: {} })).rejects.toThrow(
      /"Scope name" is required/,
    );
    expect(emulator.events("interaction_delivered").map((e) => e.kind)).toEqual(["slash_command"]);
  });

  it("is refused by the app when the signature is forged", async () => {
    await start();
    const seen: string[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client }) => {
          await ack();
          await client.views.open({ trigger_id: body.trigger_id, view: confirmModal() });
        });
        app.view("confirm", async ({ ack }) => {
          seen.push("submission");
          await ack();
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT" });
    await emulator.waitForModal("U0ALICE");

    const forged = await emulator.submitView({
      userId: "U0ALICE",
      values: { typed: "payments" },
      forgery: { signingSecret: "guess" },
    });

    expect(forged).toMatchObject({ outcome: "rejected", status: 401, viewOutcome: "kept" });
    expect(seen).toEqual([]);
    expect(emulator.views.modal("U0ALICE")).toBeDefined();
  });

  it("tells the app a modal was closed only when the view asked (notify_on_close)", async () => {
    await start();
    const closed: string[] = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client, command }) => {
          await ack();
          const notify = command.text === "notify";
          await client.views.open({
            trigger_id: body.trigger_id,
            view: { ...confirmModal(), notify_on_close: notify },
          });
        });
        app.view({ callback_id: "confirm", type: "view_closed" }, async ({ ack, body }) => {
          closed.push(body.user.id);
          await ack();
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT", text: "quiet" });
    await emulator.waitForModal("U0ALICE");
    expect(await emulator.closeView({ userId: "U0ALICE" })).toBeUndefined();

    await emulator.sendSlashCommand({ userId: "U0BOB", channelId: "C0INCIDENT", text: "notify" });
    await emulator.waitForModal("U0BOB");
    const result = await emulator.closeView({ userId: "U0BOB" });

    expect(result).toMatchObject({ outcome: "acked", kind: "view_closed" });
    expect(closed).toEqual(["U0BOB"]);
    expect(emulator.views.modal("U0BOB")).toBeUndefined();
  });
});

describe("views.update", () => {
  it("replaces a modal's content by view id, refusing a stale hash", async () => {
    const client = await start();
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.command("/dr", async ({ ack, body, client: c }) => {
          await ack();
          await c.views.open({ trigger_id: body.trigger_id, view: confirmModal() });
        });
      }),
    );
    await emulator.sendSlashCommand({ userId: "U0ALICE", channelId: "C0INCIDENT" });
    const modal = await emulator.waitForModal("U0ALICE");
    const staleHash = modal.hash;

    const updated = await client.views.update({
      view_id: modal.id,
      hash: staleHash,
      view: confirmModal("Plan changed"),
    });
    expect(updated.view?.title?.text).toBe("Plan changed");
    await expect(
      client.views.update({ view_id: modal.id, hash: staleHash, view: confirmModal("Again") }),
    ).rejects.toMatchObject({ data: { error: "hash_conflict" } });
    await expect(client.views.update({ view_id: "VNOPE", view: confirmModal() })).rejects.toMatchObject({
      data: { error: "not_found" },
    });
  });
});

const home = (text: string) => ({
  type: "home" as const,
  blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
});

describe("the Home tab", () => {
  it("is each person's own: views.publish per user, validated as a home view", async () => {
    const client = await start();

    await client.views.publish({ user_id: "U0ALICE", view: home("Alice's home") });
    await client.views.publish({ user_id: "U0BOB", view: home("Bob's home") });
    const republished = await client.views.publish({ user_id: "U0ALICE", view: home("Alice's home, later") });

    expect(emulator.views.home("U0ALICE")).toMatchObject({ updates: 1, view: home("Alice's home, later") });
    expect(republished.view?.id).toBe(emulator.views.home("U0ALICE")?.id);
    expect(emulator.views.home("U0BOB")?.view.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "Bob's home" }, block_id: "emu0" },
    ]);
    await expect(client.views.publish({ user_id: "U0ALICE", view: confirmModal() })).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    await expect(client.views.publish({ user_id: "U0NOBODY", view: home("x") })).rejects.toMatchObject({
      data: { error: "user_not_found" },
    });
  });

  it("sends app_home_opened as a signed Events API callback, with the person's current home view", async () => {
    const client = await start();
    const opened: Array<{ user: string; tab?: string; viewId?: string }> = [];
    apps.push(
      await startHttpApp(emulator, (app) => {
        app.event("app_home_opened", async ({ event }) => {
          const view = event.view as { id?: string } | undefined;
          opened.push({ user: event.user, tab: event.tab, ...(view?.id ? { viewId: view.id } : {}) });
        });
      }),
    );

    const first = await emulator.openAppHome({ userId: "U0ALICE" });
    await client.views.publish({ user_id: "U0ALICE", view: home("hi") });
    await emulator.openAppHome({ userId: "U0ALICE" });
    const forged = await emulator.openAppHome({ userId: "U0ALICE", forgery: { omitHeaders: true } });

    expect(first).toMatchObject({ outcome: "acked", kind: "event_callback" });
    expect(forged.status).toBe(401);
    await emulator.waitFor(() => opened.length === 2);
    expect(opened).toEqual([
      { user: "U0ALICE", tab: "home" },
      { user: "U0ALICE", tab: "home", viewId: emulator.views.home("U0ALICE")?.id },
    ]);
    expect((await emulator.verifyEventsUrl()).ok).toBe(true);
  });

  it("reaches a Socket Mode app as an events_api envelope", async () => {
    emulator = new SlackEmulator({ mode: "socket" });
    await emulator.start();
    const opened: string[] = [];
    apps.push(
      await startSocketApp(emulator, (app) => {
        app.event("app_home_opened", async ({ event, client }) => {
          opened.push(event.user);
          await client.views.publish({ user_id: event.user, view: home(`Hello <@${event.user}>`) });
        });
      }),
    );

    await emulator.openAppHome({ userId: "U0BOB" });

    const published = await emulator.waitFor(() => emulator.views.home("U0BOB"));
    expect(published.view.blocks).toMatchObject([{ text: { text: "Hello <@U0BOB>" } }]);
    expect(opened).toEqual(["U0BOB"]);
  });
});
