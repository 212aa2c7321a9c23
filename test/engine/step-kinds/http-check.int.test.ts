import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpCheckStep } from "../../../src/engine/step-kinds/http-check.js";
import { testConfig } from "../../support/config-fixture.js";
import { stepContext } from "../../support/step-context.js";

/** Answers 200 and promises a 100-byte body, then drops the connection after 5 bytes of it. */
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("hello");
    setImmediate(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function check(params: Record<string, unknown>) {
  const lines: string[] = [];
  const parsed = httpCheckStep.parse({ url, ...params });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { lines, result: httpCheckStep.execute(stepContext(testConfig(), { lines }), parsed.value) };
}

describe("http check", () => {
  it("fails a body check whose body broke off, saying so rather than that the text was missing", async () => {
    const { result } = check({ bodyIncludes: "ok" });
    const outcome = await result;
    expect(outcome.status).toBe("failed");
    expect(outcome).toMatchObject({ error: expect.stringMatching(/healthz: its body could not be read: /) });
  });

  it("passes on its status when no body check was asked for, and notes the broken body", async () => {
    const { result, lines } = check({});
    expect(await result).toMatchObject({ status: "succeeded" });
    expect(lines).toEqual([
      expect.stringMatching(/^its body could not be read \(.+\); no body check was asked for$/),
    ]);
  });
});

describe("http check as a health check configures it", () => {
  let app: Server;
  let base: string;
  const hung: import("node:http").ServerResponse[] = [];

  beforeAll(async () => {
    // /healthz answers 200 "status: degraded"; /hang takes the request and never answers.
    app = createServer((req, res) => {
      if (req.url === "/hang") return void hung.push(res);
      res.writeHead(200, { "content-type": "text/plain" }).end("status: degraded");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hung) res.destroy();
    await new Promise<void>((resolve) => app.close(() => resolve()));
  });

  const run = (params: Record<string, unknown>) => {
    const parsed = httpCheckStep.parse(params);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return httpCheckStep.execute(stepContext(testConfig()), parsed.value);
  };

  it("fails when the body lacks the health check's text, though the status is right", async () => {
    expect(await run({ url: `${base}/healthz`, bodyIncludes: "status: ok" })).toMatchObject({
      status: "failed",
      error: `${base}/healthz answered without "status: ok" in its body`,
    });
    expect(await run({ url: `${base}/healthz`, bodyIncludes: "degraded" })).toMatchObject({
      status: "succeeded",
    });
  });

  it("takes an empty body text (a health check without one) as no body check", async () => {
    const parsed = httpCheckStep.parse({ url: `${base}/healthz`, bodyIncludes: "" });
    expect(parsed).toMatchObject({ ok: true, value: { bodyIncludes: undefined } });
    expect(await run({ url: `${base}/healthz`, bodyIncludes: "" })).toMatchObject({ status: "succeeded" });
  });

  it("gives up on an attempt at the health check's timeout, well before the step's deadline", async () => {
    expect(await run({ url: `${base}/hang`, timeout: 300 })).toEqual({
      status: "failed",
      error: `${base}/hang: no answer within 300ms`,
    });
  });

  it("shows the body text and timeout in the plan", () => {
    const parsed = httpCheckStep.parse({ url: `${base}/healthz`, bodyIncludes: "ok", timeout: 2_000 });
    if (!parsed.ok) throw new Error("expected the params to parse");
    expect(httpCheckStep.summarize(parsed.value)).toBe(`GET ${base}/healthz expects 200 with "ok" within 2s`);
  });
});
