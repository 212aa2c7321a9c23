import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { configSchema } from "../../src/domain/config.js";
import { testConfig } from "../support/config-fixture.js";

function issues(dns: unknown): string[] {
  const base = testConfig();
  const result = configSchema.safeParse({ ...base, dns });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const record = { name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } };

describe("the dns section of the configuration", () => {
  it("ships an example with the external-dns provider and the seed's weights", async () => {
    const config = await loadConfig("drbot.example.yaml");
    expect(config.dns.provider).toEqual({
      kind: "external-dns",
      site: "dc2",
      namespace: "external-dns",
      weightProperty: "aws/weight",
    });
    expect(config.dns.records[0]!.weights).toEqual({ dc1: 100, dc2: 0 });
  });

  it("keeps records with weights only valid, and the provider optional", () => {
    expect(issues({ records: [record] })).toEqual([]);
  });

  it("names the provider kinds it knows", () => {
    expect(issues({ provider: { kind: "route53" }, records: [record] })).toEqual([
      'dns.provider.kind: dns.provider.kind must be "external-dns", "command" or "webhook"',
    ]);
  });

  it("refuses an external-dns provider on an unknown site", () => {
    expect(issues({ provider: { kind: "external-dns", site: "dc9" }, records: [record] })).toEqual([
      'dns.provider.site: unknown site "dc9"',
    ]);
  });

  it("asks for targets when the command hook writes Route 53 change batches", () => {
    const provider = { kind: "command", apply: { command: "aws" }, read: { command: "aws" } };
    expect(issues({ provider, records: [record] })).toEqual([
      "dns.records.0.targets: a Route 53 change batch needs the record's targets for dc1, dc2",
    ]);
    expect(issues({ provider: { ...provider, format: "weights" }, records: [record] })).toEqual([]);
  });

  it("takes the webhook token from an environment variable name, never a value", () => {
    expect(
      issues({
        provider: { kind: "webhook", url: "https://dns.example.com/w", tokenEnv: "abc123" },
        records: [record],
      }),
    ).toEqual(["dns.provider.tokenEnv: an environment variable name like REDIS_PASSWORD"]);
  });

  it("refuses targets for a site the record has no weight for", () => {
    expect(issues({ records: [{ ...record, targets: { dc3: ["x.example.com"] } }] })).toContain(
      'dns.records.0.targets.dc3: site "dc3" has targets but no weight in this record',
    );
  });
});
