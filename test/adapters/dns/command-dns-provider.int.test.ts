import { access, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CommandDnsProvider } from "../../../src/adapters/dns/command-dns-provider.js";
import { ExecaCommandRunner } from "../../../src/adapters/execa/execa-command-runner.js";
import { type DnsRecordConfig, dnsProviderSchema } from "../../../src/domain/config.js";

const HOOK = resolve("test/fixtures/dns-hook.mjs");
const records: DnsRecordConfig[] = [
  {
    name: "app.example.com",
    applications: ["payments"],
    weights: { dc1: 100, dc2: 0 },
    ttl: 30,
    targets: { dc1: ["dc1-lb.example.com"], dc2: ["dc2-lb.example.com"] },
  },
];
let state: string;

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), "drbot-dns-hook-"));
  await writeFile(join(state, "weights.json"), JSON.stringify({ "app.example.com": { dc1: 100, dc2: 0 } }));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

/** The hook runs on the Node that runs the tests, as a real program with an argument array. */
function provider(extra: Record<string, unknown> = {}) {
  const config = dnsProviderSchema.parse({
    kind: "command",
    apply: { command: process.execPath, args: [HOOK, "apply", state, "{file}"] },
    read: { command: process.execPath, args: [HOOK, "read", state] },
    ...extra,
  });
  if (config.kind !== "command") throw new Error("expected a command provider");
  return new CommandDnsProvider(config, records, new ExecaCommandRunner());
}

async function changeBatches(): Promise<unknown[]> {
  const files = (await readdir(state)).filter((f) => f.startsWith("change-batch-")).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(state, f), "utf8"))));
}

describe("the DNS command hook", () => {
  it("writes a Route 53 change batch, runs the apply command with its path, and reads the weights back", async () => {
    const dns = provider();
    await dns.applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } });
    expect(await changeBatches()).toEqual([
      {
        Comment: "drbot: app.example.com: dc1 0, dc2 100",
        Changes: [
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: "app.example.com",
              Type: "CNAME",
              SetIdentifier: "dc1",
              Weight: 0,
              TTL: 30,
              ResourceRecords: [{ Value: "dc1-lb.example.com" }],
            },
          },
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: "app.example.com",
              Type: "CNAME",
              SetIdentifier: "dc2",
              Weight: 100,
              TTL: 30,
              ResourceRecords: [{ Value: "dc2-lb.example.com" }],
            },
          },
        ],
      },
    ]);
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 0, dc2: 100 } });
  });

  it("hands the hook a file only drbot's user can read, and removes it afterwards", async () => {
    await provider().applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } });
    const seen = JSON.parse(await readFile(join(state, "last-file.json"), "utf8")) as {
      path: string;
      mode: string;
    };
    expect(seen.mode).toBe("600");
    await expect(access(seen.path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("appends the file's path as the last argument when the arguments have no {file}", async () => {
    await provider({ apply: { command: process.execPath, args: [HOOK, "apply", state] } }).applyWeights({
      "app.example.com": { dc1: 0, dc2: 100 },
    });
    expect(await changeBatches()).toHaveLength(1);
  });

  it("writes drbot's weights document when the format is weights", async () => {
    await provider({ format: "weights" }).applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } });
    expect(await changeBatches()).toEqual([
      { records: [{ name: "app.example.com", weights: { dc1: 0, dc2: 100 } }] },
    ]);
  });

  it("reads Route 53's ListResourceRecordSets output, names with their trailing dot", async () => {
    const dns = provider({ read: { command: process.execPath, args: [HOOK, "read", state, "route53"] } });
    expect(await dns.readWeights(["app.example.com"])).toEqual({ "app.example.com": { dc1: 100, dc2: 0 } });
  });

  it("fails with the exit code and the end of stderr when the command fails", async () => {
    await writeFile(join(state, "fail"), "");
    await expect(provider().applyWeights({ "app.example.com": { dc1: 0, dc2: 100 } })).rejects.toMatchObject({
      code: "step_failed",
      message: `could not apply the DNS weights: ${process.execPath} exited with 3: An error occurred (Throttling) when calling the API: Rate exceeded`,
    });
  });

  it("fails clearly when the read command prints something other than weights", async () => {
    const dns = provider({ read: { command: process.execPath, args: ["-e", "console.log('[1,2]')"] } });
    await expect(dns.readWeights(["app.example.com"])).rejects.toThrow(
      `the DNS read command ${process.execPath} answered with unexpected JSON`,
    );
  });

  it("stops a command that outlives its timeout", async () => {
    const dns = provider({
      timeout: "300ms",
      read: { command: process.execPath, args: ["-e", "setTimeout(() => {}, 60000)"] },
    });
    await expect(dns.readWeights(["app.example.com"])).rejects.toMatchObject({
      code: "timeout",
      message: `could not read the DNS weights: ${process.execPath} did not finish within 300 ms`,
    });
  });
});
