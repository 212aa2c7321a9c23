import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsCertificateReader } from "../../../src/adapters/tls/tls-certificate-reader.js";
import { startTlsEndpoint, type TlsEndpoint } from "../../support/tls-endpoint.js";

const DAY = 86_400_000;
let endpoint: TlsEndpoint;

beforeAll(async () => {
  endpoint = await startTlsEndpoint(20);
}, 60_000);
afterAll(async () => {
  await endpoint?.close();
});

describe("reading an https endpoint's certificate with a TLS handshake", () => {
  it("reads subject, issuer and validity, trusted when its CA is", async () => {
    const reading = await new TlsCertificateReader({ ca: endpoint.ca }).read(endpoint.url, {
      timeoutMs: 5_000,
    });
    expect(reading).toMatchObject({ subject: "CN=localhost", issuer: "CN=drbot test CA", trusted: true });
    expect(reading.validTo).toBeGreaterThan(Date.now() + 19 * DAY);
    expect(reading.validTo).toBeLessThan(Date.now() + 21 * DAY);
  });

  it("still reads a certificate it cannot trust, saying why", async () => {
    const reading = await new TlsCertificateReader().read(endpoint.url, { timeoutMs: 5_000 });
    expect(reading.trusted).toBe(false);
    expect(reading.untrustedReason).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to (get|verify)/i,
    );
  });

  it("gives up at its deadline on an endpoint that accepts and never answers", async () => {
    const sockets = new Set<Socket>();
    const hung: Server = createServer((s) => {
      sockets.add(s);
      s.resume();
    });
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const { port } = hung.address() as AddressInfo;
    try {
      await expect(
        new TlsCertificateReader().read(`https://127.0.0.1:${port}/`, { timeoutMs: 300 }),
      ).rejects.toMatchObject({ code: "timeout", message: expect.stringMatching(/no answer within 300 ms/) });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });

  it("says nothing answers TLS where the port is closed", async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      new TlsCertificateReader().read(`https://127.0.0.1:${port}/`, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/ECONNREFUSED/) });
  });
});
