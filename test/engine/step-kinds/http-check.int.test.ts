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
