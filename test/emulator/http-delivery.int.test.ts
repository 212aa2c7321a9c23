import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpDelivery } from "../../src/emulator/http-delivery.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The emulator's HTTP delivery against a plain Node server on loopback that acks every POST and
 * counts the connections it accepts: Slack's senders keep their connections to an app open, and so
 * does the emulator, so a crowd of deliveries is not timed on connection set-ups.
 */
const TIMING = { ackTimeoutMs: 3_000, ackObserveMs: 10_000 };
let server: Server | undefined;
let delivery: HttpDelivery | undefined;

afterEach(async () => {
  delivery?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
  delivery = undefined;
});

async function countingApp(): Promise<{ url: string; sockets: Socket[]; bodies: string[] }> {
  const sockets: Socket[] = [];
  const bodies: string[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push(`${req.headers["content-type"]} ${Buffer.concat(chunks).toString()}`);
      res.writeHead(200, { "content-type": "application/json" }).end('{"text":"ok"}');
    });
  });
  // Only the client ends an idle connection here.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/slack/events`, sockets, bodies };
}

describe("the emulator's HTTP delivery", () => {
  it("reuses one kept-alive connection for deliveries one after another, each acked with its body", async () => {
    const app = await countingApp();
    delivery = new HttpDelivery();
    for (const n of [1, 2, 3]) {
      const ack = await delivery.deliver({ url: app.url, body: `n=${n}`, headers: {} }, TIMING);
      expect(ack).toMatchObject({ outcome: "acked", status: 200, body: '{"text":"ok"}' });
      expect(ack.contentType).toBe("application/json");
    }
    expect(app.bodies).toEqual([1, 2, 3].map((n) => `application/x-www-form-urlencoded n=${n}`));
    expect(app.sockets).toHaveLength(1);
  });

  it("opens a connection per request in flight once, and the next crowd of that size opens none", async () => {
    const app = await countingApp();
    delivery = new HttpDelivery();
    const crowd = () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          delivery!.deliver({ url: app.url, body: `i=${i}`, headers: {} }, TIMING),
        ),
      );
    expect((await crowd()).every((ack) => ack.outcome === "acked")).toBe(true);
    const opened = app.sockets.length;
    expect(opened).toBe(20);
    expect((await crowd()).every((ack) => ack.outcome === "acked")).toBe(true);
    expect(app.sockets).toHaveLength(opened);
  });

  it("closes its kept connections when the emulator stops", async () => {
    const app = await countingApp();
    delivery = new HttpDelivery();
    await delivery.deliver({ url: app.url, body: "x=1", headers: {} }, TIMING);
    delivery.close();
    await waitFor(() => app.sockets.every((socket) => socket.destroyed || socket.readableEnded), {
      timeoutMs: 5_000,
      description: "the app's side of the connection closed",
    });
  });

  it("reports an app that is not there as unreachable, without throwing", async () => {
    const app = await countingApp();
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    delivery = new HttpDelivery();
    expect(await delivery.deliver({ url: app.url, body: "x=1", headers: {} }, TIMING)).toMatchObject({
      outcome: "unreachable",
      timedOut: false,
      status: 0,
    });
  });
});
