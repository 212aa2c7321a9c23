import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebhookDnsProvider } from "../../../src/adapters/dns/webhook-dns-provider.js";
import { dnsProviderSchema } from "../../../src/domain/config.js";
import { type DnsWebhookServer, startDnsWebhookServer } from "../../support/dns-webhook-server.js";

const TOKEN = "dns-webhook-token-5f2c9a7e";
let server: DnsWebhookServer;

beforeEach(async () => {
  server = await startDnsWebhookServer({ "app.example.com": { dc1: 100, dc2: 0 } });
});
afterEach(async () => {
  await server.close();
});

function provider(extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = { DNS_TOKEN: TOKEN }) {
  const config = dnsProviderSchema.parse({
    kind: "webhook",
    url: server.url,
    tokenEnv: "DNS_TOKEN",
    ...extra,
  });
  if (config.kind !== "webhook") throw new Error("expected a webhook provider");
  return new WebhookDnsProvider(config, env);
}

describe("the DNS webhook provider", () => {
  it("posts the desired weights as JSON and reads them back with GET", async () => {
    const dns = provider();
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 100, dc2: 0 } });
    await dns.applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } });
    expect(JSON.parse(server.requests.find((r) => r.method === "POST")!.body)).toEqual({
      records: [{ name: "app.example.com", weights: { dc1: 0, dc2: 100 } }],
    });
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 0, dc2: 100 } });
  });

  it("sends the bearer token from the environment on every request", async () => {
    await provider().readWeights(["app.example.com"]);
    expect(server.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });

  it("reports only the records asked for", async () => {
    server.weights["other.example.com"] = { dc1: 50 };
    expect(await provider().readWeights(["app.example.com"])).toEqual({
      "app.example.com": { dc1: 100, dc2: 0 },
    });
  });

  it("fails with the status and the server's first line when a write is refused, without the token", async () => {
    server.behaviour = "fail-writes";
    const error = await provider()
      .applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } })
      .then(() => new Error("the write was accepted"))
      .catch((e: unknown) => e as Error);
    expect(error.message).toBe(
      `could not apply the DNS weights at ${server.url}: HTTP 503 zone is locked for maintenance`,
    );
    expect(error.message).not.toContain(TOKEN);
  });

  it("gives up on an endpoint that never answers at its timeout", async () => {
    server.behaviour = "hang";
    await expect(provider({ timeout: "300ms" }).readWeights(["app.example.com"])).rejects.toMatchObject({
      code: "timeout",
      message: `could not read the DNS weights at ${server.url}: no answer within 300 ms`,
    });
  });

  it("stops when the caller's signal aborts", async () => {
    server.behaviour = "hang";
    const controller = new AbortController();
    const read = provider().readWeights(["app.example.com"], { signal: controller.signal });
    controller.abort();
    await expect(read).rejects.toMatchObject({ code: "timeout" });
  });

  it("says the endpoint is unavailable when nothing listens there", async () => {
    const dns = provider();
    await server.close();
    await expect(dns.readWeights(["app.example.com"])).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("ECONNREFUSED"),
    });
  });

  it("refuses to start when the token variable is not set", () => {
    expect(() => provider({}, {})).toThrow("dns.provider.tokenEnv names DNS_TOKEN, which is not set");
  });

  it("never shows credentials or query strings of the URL", async () => {
    const dns = provider({ url: `${server.url.replace("http://", "http://user:pw@")}?key=abc` });
    expect(dns.description).toBe(`webhook ${server.url}`);
  });
});
