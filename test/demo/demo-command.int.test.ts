import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/wait-for.js";

/** `npm run demo` as a person runs it: it prints the page's URL, the page answers, Ctrl-C stops it all. */
describe("npm run demo", () => {
  it("prints the page's URL, serves the page, and on Ctrl-C stops everything it started", async () => {
    const demo = execa("bash", ["scripts/demo"], { all: true, reject: false, timeout: 90_000 });
    let output = "";
    demo.all!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor(() => /open (http:\/\/127\.0\.0\.1:\d+\/)/.test(output), {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: "the page's URL on the demo's output",
      });
      const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
      const page = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Slack emulator");
      expect(output).toContain("SIMULATED in-process, each change taking about 3 s");

      demo.kill("SIGINT");
      const result = await demo;
      expect(result.exitCode).toBe(0);
      expect(output).toContain("stopping");
      await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    } finally {
      demo.kill("SIGKILL");
    }
  }, 120_000);

  it("refuses a step time that is not a number of seconds from 0 to 300, saying so with its usage", async () => {
    const result = await execa("bash", ["scripts/demo", "--step-seconds", "-1"], {
      all: true,
      reject: false,
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(2);
    expect(result.all).toContain("--step-seconds");
    expect(result.all).toContain("usage: npm run demo");
  }, 90_000);
});
