import { randomBytes } from "node:crypto";
import type { EventLog } from "./event-log.js";
import { withBlockIds } from "./interaction-payloads.js";

/**
 * The workspace's views: the modals each person has open (a stack: views.open starts it, a
 * response_action push adds to it) and each person's Home tab (views.publish), plus the trigger ids
 * Slack handed out with interactions, each good once, for `triggerTtlMs` (3 s on Slack), and only
 * for the person who acted.
 */
export interface StoredView {
  id: string;
  type: "modal" | "home";
  userId: string;
  /** The view as the app sent it (title, blocks, submit, close, callback_id, private_metadata…). */
  view: Record<string, unknown>;
  hash: string;
  rootViewId: string;
  previousViewId?: string;
  /** Errors of the last submission, by block_id (response_action "errors"), shown under the inputs. */
  errors: Record<string, string>;
  /** How many times the app changed it (views.update, views.publish again, response_action update). */
  updates: number;
}

export type TriggerCheck =
  | { ok: true }
  | { ok: false; error: "invalid_trigger_id" | "expired_trigger_id" | "exchanged_trigger_id" };

interface IssuedTrigger {
  userId: string;
  issuedAt: number;
  exchanged: boolean;
}

export class ViewState {
  private readonly triggers = new Map<string, IssuedTrigger>();
  private readonly modals = new Map<string, StoredView[]>();
  private readonly homes = new Map<string, StoredView>();

  constructor(
    private readonly now: () => number,
    private readonly log: EventLog,
    private readonly triggerTtlMs: number,
  ) {}

  /** Remembers a trigger id handed out with an interaction by `userId`. */
  issueTrigger(triggerId: string, userId: string): void {
    this.triggers.set(triggerId, { userId, issuedAt: this.now(), exchanged: false });
  }

  /** Takes a trigger for a views.open: known, not older than the TTL, not used before. */
  exchangeTrigger(triggerId: string): TriggerCheck & { userId?: string } {
    const trigger = this.triggers.get(triggerId);
    if (!trigger) return { ok: false, error: "invalid_trigger_id" };
    if (trigger.exchanged) return { ok: false, error: "exchanged_trigger_id" };
    if (this.now() - trigger.issuedAt > this.triggerTtlMs) return { ok: false, error: "expired_trigger_id" };
    trigger.exchanged = true;
    return { ok: true, userId: trigger.userId };
  }

  /** Opens a modal for `userId`, replacing any open one (views.open). */
  open(userId: string, view: Record<string, unknown>): StoredView {
    const stored = this.make("modal", userId, view);
    this.modals.set(userId, [stored]);
    this.log.record({ type: "view_opened", userId, viewId: stored.id });
    return stored;
  }

  /** Pushes a modal on top of the person's stack (response_action push). */
  push(userId: string, view: Record<string, unknown>): StoredView {
    const stack = this.modals.get(userId) ?? [];
    const below = stack.at(-1);
    const stored = this.make("modal", userId, view, below);
    stack.push(stored);
    this.modals.set(userId, stack);
    this.log.record({ type: "view_opened", userId, viewId: stored.id });
    return stored;
  }

  /** Replaces a view's content (views.update, response_action update); a new hash each time. */
  update(stored: StoredView, view: Record<string, unknown>): StoredView {
    stored.view = withIds(view);
    stored.hash = newHash(this.now());
    stored.errors = {};
    stored.updates++;
    this.log.record({ type: "view_updated", userId: stored.userId, viewId: stored.id });
    return stored;
  }

  /** Shows the errors of a refused submission under their inputs; the modal stays open. */
  showErrors(stored: StoredView, errors: Record<string, string>): void {
    stored.errors = errors;
    this.log.record({ type: "view_updated", userId: stored.userId, viewId: stored.id });
  }

  /** Closes the top modal (submitted or dismissed), or the whole stack. */
  close(userId: string, how: "top" | "all"): void {
    const stack = this.modals.get(userId) ?? [];
    const closed = how === "all" ? stack.splice(0) : stack.splice(-1);
    for (const view of closed) this.log.record({ type: "view_closed", userId, viewId: view.id });
  }

  /** Publishes (or republishes) a person's Home tab. */
  publish(userId: string, view: Record<string, unknown>): StoredView {
    const existing = this.homes.get(userId);
    if (existing) {
      existing.view = withIds(view);
      existing.hash = newHash(this.now());
      existing.updates++;
      this.log.record({ type: "view_published", userId, viewId: existing.id });
      return existing;
    }
    const stored = this.make("home", userId, view);
    this.homes.set(userId, stored);
    this.log.record({ type: "view_published", userId, viewId: stored.id });
    return stored;
  }

  /** The modal on top of a person's stack. */
  modal(userId: string): StoredView | undefined {
    return this.modals.get(userId)?.at(-1);
  }

  /** A person's open modals, bottom first. */
  modalStack(userId: string): StoredView[] {
    return [...(this.modals.get(userId) ?? [])];
  }

  home(userId: string): StoredView | undefined {
    return this.homes.get(userId);
  }

  /** Any open modal or Home tab by id, or by the app's external_id. */
  find(ref: { viewId?: string; externalId?: string }): StoredView | undefined {
    const all = [...[...this.modals.values()].flat(), ...this.homes.values()];
    return all.find((v) =>
      ref.viewId !== undefined ? v.id === ref.viewId : v.view.external_id === ref.externalId,
    );
  }

  private make(
    type: StoredView["type"],
    userId: string,
    view: Record<string, unknown>,
    below?: StoredView,
  ): StoredView {
    const id = `V${randomBytes(5).toString("hex").toUpperCase()}`;
    return {
      id,
      type,
      userId,
      view: withIds(view),
      hash: newHash(this.now()),
      rootViewId: below?.rootViewId ?? id,
      ...(below ? { previousViewId: below.id } : {}),
      errors: {},
      updates: 0,
    };
  }
}

/** Slack gives every block a block_id when it stores a view, as it does for messages. */
function withIds(view: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(view.blocks) ? { ...view, blocks: withBlockIds(view.blocks) } : view;
}

function newHash(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}.${randomBytes(4).toString("hex")}`;
}
