/**
 * Everything that happened in the emulated workspace, in order. Every state change is logged, so
 * the log doubles as the change feed that `waitFor` listens to: a condition is re-checked when
 * something happened, not on a timer.
 */
export type EmulatorEvent =
  | { type: "api_call"; method: string; status: number; ok: boolean; error?: string }
  | { type: "message_posted"; channel: string; ts: string; threadTs?: string; via: string }
  | { type: "message_updated"; channel: string; ts: string; via: string }
  | { type: "message_deleted"; channel: string; ts: string; via: string }
  | { type: "ephemeral_posted"; channel: string; userId: string; via: string }
  | { type: "ephemeral_changed"; userId: string; ts: string; change: "replaced" | "deleted" }
  | { type: "file_uploaded"; fileId: string; channel?: string }
  | {
      type: "interaction_delivered";
      kind: InteractionKind;
      outcome: DeliveryOutcome;
      status: number;
      ackMs: number;
      retryNum: number;
    }
  | { type: "view_opened"; userId: string; viewId: string }
  | { type: "view_updated"; userId: string; viewId: string }
  | { type: "view_closed"; userId: string; viewId: string }
  | { type: "view_published"; userId: string; viewId: string }
  | { type: "response_url_used"; id: string; accepted: boolean; error?: string; action?: string }
  | { type: "socket_connected"; connectionId: string }
  | { type: "socket_closed"; connectionId: string }
  | { type: "socket_disconnect_sent"; connectionId: string; reason: string };

/** What Slack sends the app: interactions (form-encoded) and Events API callbacks (JSON). */
export type InteractionKind =
  | "slash_command"
  | "block_actions"
  | "view_submission"
  | "view_closed"
  | "event_callback"
  | "url_verification";

/** acked: 2xx within the deadline; timeout: no answer within it; rejected: non-2xx in time; unreachable: no app. */
export type DeliveryOutcome = "acked" | "timeout" | "rejected" | "unreachable";

export type LoggedEvent = EmulatorEvent & { seq: number; at: number };

export class EventLog {
  private readonly entries: LoggedEvent[] = [];
  private readonly listeners = new Set<(event: LoggedEvent) => void>();

  constructor(private readonly now: () => number) {}

  record(event: EmulatorEvent): void {
    const logged = { ...event, seq: this.entries.length + 1, at: this.now() } as LoggedEvent;
    this.entries.push(logged);
    for (const listener of this.listeners) listener(logged);
  }

  list<T extends EmulatorEvent["type"]>(type?: T): Extract<LoggedEvent, { type: T }>[] {
    return this.entries.filter((e) => type === undefined || e.type === type) as Extract<
      LoggedEvent,
      { type: T }
    >[];
  }

  /** Calls `listener` for every later event; returns the unsubscribe function. */
  subscribe(listener: (event: LoggedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
