import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { waitFor } from "./wait-for.js";

/** An echo server on loopback: whatever a connection sends comes back. */
let echo: Server;
let echoPort: number;
const proxies: TcpProxy[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const p of proxies) await p.stop();
  await new Promise((resolve) => echo.close(resolve));
});

async function proxy(): Promise<TcpProxy> {
  const p = await startTcpProxy({ port: echoPort });
  proxies.push(p);
  return p;
}

/** A client connection that collects what it receives and notes when it is closed. */
async function connect(p: TcpProxy) {
  const socket = createConnection({ host: p.host, port: p.port });
  sockets.push(socket);
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on("error", () => undefined);
  socket.on("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return {
    send: (text: string) => socket.write(text),
    received: () => received,
    closed: () => closed,
  };
}

const until = (condition: () => boolean, description: string) =>
  waitFor(condition, { timeoutMs: 5_000, description });

describe("the test TCP proxy", () => {
  it("relays both ways while forwarding", async () => {
    const p = await proxy();
    const client = await connect(p);
    client.send("ping");
    await until(() => client.received() === "ping", "the echo through the proxy");
    expect(p.mode).toBe("forward");
    expect(p.openConnections()).toBe(1);
  });

  it("accepts connections during a blackhole and answers nothing, then delivers everything once restored", async () => {
    const p = await proxy();
    const before = await connect(p);
    before.send("a");
    await until(() => before.received() === "a", "the first echo");

    p.blackhole();
    before.send("b");
    const during = await connect(p);
    during.send("c");
    // The other end of a partition: the open connection's echo and the new connection's data wait.
    const probe = await connect(await proxy());
    probe.send("x");
    await until(() => probe.received() === "x", "an echo on another path (time for bytes to move)");
    expect(before.received()).toBe("a");
    expect(during.received()).toBe("");
    expect(before.closed() || during.closed()).toBe(false);
    expect(p.acceptedConnections()).toBe(2);

    p.restore();
    await until(() => before.received() === "ab", "the held echo on the open connection");
    await until(() => during.received() === "c", "the connection accepted during the blackhole");
  });

  it("closes every open connection on reset, and takes new ones after", async () => {
    const p = await proxy();
    const first = await connect(p);
    const second = await connect(p);
    p.reset();
    await until(() => first.closed() && second.closed(), "both connections to be closed");
    expect(p.openConnections()).toBe(0);
    const third = await connect(p);
    third.send("again");
    await until(() => third.received() === "again", "an echo on a new connection");
  });

  it("closes the client's connection when the target refuses it", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const p = await startTcpProxy({ port: closedPort });
    proxies.push(p);
    const client = await connect(p);
    await until(() => client.closed(), "the client's connection to be closed");
  });
});
