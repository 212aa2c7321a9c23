import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that a test controls, to put a network fault between drbot and a server
 * (Redis, a kube-apiserver) while both processes live:
 *
 * - `forward()` (the start state): every connection is relayed to the target, both ways.
 * - `blackhole()`: a partition. New connections are accepted and never answered; on open ones
 *   nothing moves in either direction. Nothing is closed, so a client learns of it only through its
 *   own deadlines, as across a broken network path.
 * - `restore()`: the partition heals. Bytes held during it are delivered in order, as TCP delivers
 *   them after a path comes back (TCP never loses bytes silently); connections accepted during it
 *   are connected to the target now.
 * - `reset()`: every open connection is destroyed at once (a peer or middlebox restarted).
 *
 * What it cannot show: packet loss, latency or reordering below TCP, and a client's kernel giving up
 * on retransmissions (that takes minutes); clients here give up through their own timeouts.
 */
export interface TcpProxy {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly mode: "forward" | "blackhole";
  forward(): void;
  blackhole(): void;
  restore(): void;
  reset(): void;
  /** Connections open now (accepted and not closed). */
  openConnections(): number;
  /** Connections accepted since the proxy started. */
  acceptedConnections(): number;
  stop(): Promise<void>;
}

interface Relay {
  client: Socket;
  upstream?: Socket;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const relays = new Set<Relay>();
  let mode: "forward" | "blackhole" = "forward";
  let accepted = 0;

  const hold = (relay: Relay) => {
    relay.client.pause();
    relay.upstream?.pause();
  };
  const release = (relay: Relay) => {
    if (!relay.upstream) connectUpstream(relay);
    relay.client.resume();
    relay.upstream?.resume();
  };
  const close = (relay: Relay) => {
    relays.delete(relay);
    relay.client.destroy();
    relay.upstream?.destroy();
  };

  /** Relays one direction by hand (not pipe(), whose drain handler would resume a held socket). */
  const relayData = (from: Socket, to: Socket) => {
    from.on("data", (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (mode === "forward") from.resume();
        });
      }
    });
  };

  const connectUpstream = (relay: Relay) => {
    const upstream = createConnection({ host: target.host ?? "127.0.0.1", port: target.port });
    relay.upstream = upstream;
    relayData(relay.client, upstream);
    relayData(upstream, relay.client);
    // A target that refuses or drops the connection drops the client's too, as the path would.
    upstream.on("error", () => close(relay));
    upstream.on("close", () => close(relay));
    if (mode === "blackhole") hold(relay);
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    const relay: Relay = { client };
    relays.add(relay);
    client.on("error", () => close(relay));
    client.on("close", () => close(relay));
    if (mode === "forward") release(relay);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the TCP proxy has no port");
  const forward = () => {
    mode = "forward";
    for (const relay of relays) release(relay);
  };

  return {
    host: "127.0.0.1",
    port: address.port,
    get mode() {
      return mode;
    },
    forward,
    blackhole() {
      mode = "blackhole";
      for (const relay of relays) hold(relay);
    },
    restore: forward,
    reset() {
      for (const relay of [...relays]) close(relay);
    },
    openConnections: () => relays.size,
    acceptedConnections: () => accepted,
    async stop() {
      for (const relay of [...relays]) close(relay);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
