import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { type AppAck, classifyAck } from "./app-ack.js";
import type { EventLog } from "./event-log.js";

/**
 * Socket Mode as @slack/socket-mode 3 expects it (slack-protocol.md §6.2): apps.connections.open
 * hands out a one-use ws:// URL with a ticket; on connect the server sends `hello` (the client
 * reports itself connected only then); interactions arrive as envelopes `{envelope_id, type,
 * payload, accepts_response_payload}` and the app acks with `{envelope_id, payload?}`. A
 * `disconnect` message makes the client reconnect through apps.connections.open. The `ws` server
 * answers the client's pings itself, so no keepalive logic is needed here.
 */
export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

interface PendingAck {
  started: number;
  settle: (ack: AppAck) => void;
}

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly connections = new Map<string, WebSocket>();
  private readonly pending = new Map<string, PendingAck>();
  private nextConnection = 0;

  constructor(
    private readonly deps: {
      appId: string;
      log: EventLog;
      timing: { ackTimeoutMs: number; ackObserveMs: number };
    },
  ) {}

  /** Issues a one-use ticket and the URL that redeems it (what apps.connections.open answers). */
  issueUrl(baseUrl: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${baseUrl.replace(/^http/, "ws")}/link/?ticket=${ticket}&app_id=${this.deps.appId}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "ws://emulator");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connectionId = `conn-${++this.nextConnection}`;
    this.connections.set(connectionId, ws);
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.onFrame(String(data));
    });
    ws.on("close", () => {
      this.connections.delete(connectionId);
      this.deps.log.record({ type: "socket_closed", connectionId });
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.connections.size,
        debug_info: { host: "applink-emulator", build_number: 1, approximate_connection_time: 3600 },
        connection_info: { app_id: this.deps.appId },
      }),
    );
    this.deps.log.record({ type: "socket_connected", connectionId });
  }

  private onFrame(text: string): void {
    let frame: { envelope_id?: unknown; payload?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return; // Slack ignores frames it cannot read; so does the emulator.
    }
    if (typeof frame.envelope_id !== "string") return;
    const pending = this.pending.get(frame.envelope_id);
    if (!pending) return; // an ack after the emulator stopped listening, or a duplicate ack
    this.pending.delete(frame.envelope_id);
    const ackMs = performance.now() - pending.started;
    pending.settle({
      ...classifyAck(200, ackMs, this.deps.timing.ackTimeoutMs),
      status: 200,
      ackMs,
      body: JSON.stringify(frame.payload ?? {}),
      contentType: "application/json",
    });
  }

  /** Sends one envelope over the newest connection and waits for its ack (or the deadline). */
  deliver(type: EnvelopeType, payload: unknown, retry?: { num: number; reason: string }): Promise<AppAck> {
    const ws = [...this.connections.values()].at(-1);
    if (!ws)
      return Promise.resolve({ outcome: "unreachable", timedOut: false, status: 0, ackMs: 0, body: "" });
    const envelopeId = randomUUID();
    const started = performance.now();
    return new Promise<AppAck>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        resolve({
          outcome: "timeout",
          timedOut: true,
          status: 0,
          ackMs: performance.now() - started,
          body: "",
        });
      }, this.deps.timing.ackObserveMs);
      this.pending.set(envelopeId, {
        started,
        settle: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
      });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload:
            type === "slash_commands" ||
            (type === "interactive" && (payload as { type?: unknown }).type === "view_submission"),
          ...(retry ? { retry_attempt: retry.num, retry_reason: retry.reason } : {}),
        }),
      );
    });
  }

  /** Asks every connected client to reconnect, as Slack does when it recycles a server. */
  sendDisconnect(reason: "warning" | "refresh_requested" | "link_disabled"): void {
    for (const [connectionId, ws] of this.connections) {
      ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-emulator" } }));
      this.deps.log.record({ type: "socket_disconnect_sent", connectionId, reason });
    }
  }

  /**
   * Ends every connection with a close handshake (an app that is itself disconnecting gets to finish
   * its own), forcing the ones that do not answer within `graceMs`.
   */
  async close(graceMs = 1_000): Promise<void> {
    for (const [envelopeId, pending] of this.pending) {
      this.pending.delete(envelopeId);
      pending.settle({
        outcome: "unreachable",
        timedOut: false,
        status: 0,
        ackMs: 0,
        body: "emulator stopped",
      });
    }
    await Promise.all(
      [...this.connections.values()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const force = setTimeout(() => {
              ws.terminate();
              resolve();
            }, graceMs);
            ws.once("close", () => {
              clearTimeout(force);
              resolve();
            });
            if (ws.readyState === ws.OPEN) ws.close(1001, "emulator stopping");
          }),
      ),
    );
    this.connections.clear();
    this.wss.close();
  }
}
