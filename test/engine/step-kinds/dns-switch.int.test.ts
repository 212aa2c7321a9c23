import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebhookDnsProvider } from "../../../src/adapters/dns/webhook-dns-provider.js";
import type { Config } from "../../../src/domain/config.js";
import type { RunMode } from "../../../src/domain/run.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { dnsSwitchStep } from "../../../src/engine/step-kinds/dns-switch.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import type { DnsProvider } from "../../../src/ports/dns.js";
import { testConfig } from "../../support/config-fixture.js";
import { type DnsWebhookServer, startDnsWebhookServer } from "../../support/dns-webhook-server.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/** dns.switch against a real (local) webhook: the seed's 100/0 weights moved to DR and back. */
let server: DnsWebhookServer;
let config: Config;
let dns: DnsProvider;

beforeEach(async () => {
  server = await startDnsWebhookServer({
    "app.example.com": { dc1: 100, dc2: 0 },
    "api.example.com": { dc1: 100, dc2: 0 },
  });
  config = testConfig({
    dns: {
      provider: { kind: "webhook", url: server.url, timeout: "2s" },
      records: [
        { name: "app.example.com", applications: ["payments", "core-api"], weights: { dc1: 100, dc2: 0 } },
        { name: "api.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } },
      ],
    },
  });
  const provider = config.dns.provider!;
  if (provider.kind !== "webhook") throw new Error("expected the webhook provider");
  dns = new WebhookDnsProvider(provider, {});
});
afterEach(async () => {
  await server.close();
});

/**
 * The shared step context of a run of payments and core-api, with the DNS provider, the run's mode,
 * and the log lines kept.
 */
function context(
  options: { mode?: RunMode; services?: Record<string, unknown>; applications?: string[] } = {},
): StepContext & {
  lines: string[];
} {
  const lines: string[] = [];
  const base = stepContext(config, {
    services: { dns, ...options.services },
    lines,
    applications: options.applications ?? ["payments", "core-api"],
  });
  const mode = options.mode ?? "real";
  return { ...base, run: { ...base.run, mode }, mode, lines };
}

const params = (with_: Record<string, unknown>) => dnsSwitchStep.params.parse(with_);
const BOTH = ["app.example.com", "api.example.com"];

describe("the dns.switch step", () => {
  it("moves every record of the run to DR, reads it back, and moves it back", async () => {
    const toDr = await dnsSwitchStep.execute(context(), params({ records: BOTH, activeSite: "dc2" }));
    expect(toDr).toEqual({
      status: "succeeded",
      output:
        "app.example.com: dc1 0, dc2 100; api.example.com: dc1 0, dc2 100 (was app.example.com: dc1 100, dc2 0; api.example.com: dc1 100, dc2 0); " +
        `read back from webhook ${server.url}`,
    });
    expect(server.weights).toEqual({
      "app.example.com": { dc1: 0, dc2: 100 },
      "api.example.com": { dc1: 0, dc2: 100 },
    });
    const back = await dnsSwitchStep.execute(context(), params({ records: BOTH, activeSite: "dc1" }));
    expect(back.status).toBe("succeeded");
    expect(server.weights["app.example.com"]).toEqual({ dc1: 100, dc2: 0 });
  });

  it("switches only the records it names", async () => {
    await dnsSwitchStep.execute(context(), params({ records: ["api.example.com"], activeSite: "dc2" }));
    expect(server.weights).toEqual({
      "app.example.com": { dc1: 100, dc2: 0 },
      "api.example.com": { dc1: 0, dc2: 100 },
    });
  });

  it("fails with the evidence when the read-back differs from what was applied", async () => {
    server.behaviour = "ignore-writes";
    const result = await dnsSwitchStep.execute(
      context(),
      params({ records: ["app.example.com"], activeSite: "dc2", verifyWithin: 0 }),
    );
    expect(result).toEqual({
      status: "failed",
      error:
        "the read-back differs from what was applied: app.example.com on dc1: expected 0, read 100; app.example.com on dc2: expected 100, read 0",
      output:
        "before: app.example.com: dc1 100, dc2 0\napplied: app.example.com: dc1 0, dc2 100\nread back: app.example.com: dc1 100, dc2 0",
    });
  });

  it("keeps reading back while the provider catches up, within verifyWithin", async () => {
    server.behaviour = "ignore-writes";
    const ctx = context();
    const switching = dnsSwitchStep.execute(ctx, params({ records: ["app.example.com"], activeSite: "dc2" }));
    // The provider applies the change late, as Route 53 does between PENDING and INSYNC.
    await waitFor(() => ctx.lines.some((l) => l.startsWith("read back, not there yet")), {
      description: "a first read-back that does not show the new weights",
    });
    server.weights["app.example.com"] = { dc1: 0, dc2: 100 };
    expect((await switching).status).toBe("succeeded");
  });

  it("changes nothing when the weights already hold", async () => {
    server.weights["app.example.com"] = { dc1: 0, dc2: 100 };
    const result = await dnsSwitchStep.execute(
      context(),
      params({ records: ["app.example.com"], activeSite: "dc2" }),
    );
    expect(result).toEqual({
      status: "succeeded",
      output: `already app.example.com: dc1 0, dc2 100 (read back from webhook ${server.url})`,
    });
    expect(server.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("only reads in a drill and says what a real run would change", async () => {
    const result = await dnsSwitchStep.execute(
      context({ mode: "drill" }),
      params({ records: ["app.example.com"], activeSite: "dc2" }),
    );
    expect(result).toEqual({
      status: "succeeded",
      output:
        "drill: left unchanged (applyInDrill is off); a real run would set app.example.com: dc1 0, dc2 100, now app.example.com: dc1 100, dc2 0",
    });
    expect(server.weights["app.example.com"]).toEqual({ dc1: 100, dc2: 0 });
  });

  it("switches in a drill when the runbook says applyInDrill", async () => {
    await dnsSwitchStep.execute(
      context({ mode: "drill" }),
      params({ records: ["app.example.com"], activeSite: "dc2", applyInDrill: true }),
    );
    expect(server.weights["app.example.com"]).toEqual({ dc1: 0, dc2: 100 });
  });

  it("observes whether the weights already hold, for a run taken over after a crash", async () => {
    const p = params({ records: BOTH, activeSite: "dc2" });
    expect(await dnsSwitchStep.observe!(context(), p)).toEqual({
      holds: false,
      evidence: `webhook ${server.url}: app.example.com on dc1: expected 0, read 100; app.example.com on dc2: expected 100, read 0; api.example.com on dc1: expected 0, read 100; api.example.com on dc2: expected 100, read 0`,
    });
    await dnsSwitchStep.execute(context(), p);
    expect(await dnsSwitchStep.observe!(context(), p)).toEqual({
      holds: true,
      evidence: `webhook ${server.url} already has app.example.com: dc1 0, dc2 100; api.example.com: dc1 0, dc2 100`,
    });
  });

  it("refuses a site the records have no weight for, and unknown records, before touching DNS", async () => {
    await expect(
      dnsSwitchStep.execute(context(), params({ records: BOTH, activeSite: "dc3" })),
    ).rejects.toThrow("have no weight for site dc3");
    await expect(
      dnsSwitchStep.execute(context(), params({ records: ["www.example.com"], activeSite: "dc2" })),
    ).rejects.toThrow("unknown DNS record www.example.com");
    expect(server.requests).toEqual([]);
  });

  it("fails clearly when the runbook wants another provider or none is configured", async () => {
    expect(
      await dnsSwitchStep.execute(
        context(),
        params({ records: BOTH, activeSite: "dc2", provider: "external-dns" }),
      ),
    ).toEqual({
      status: "failed",
      error: "the runbook asks for the external-dns DNS provider, but dns.provider is webhook",
    });
    await expect(
      dnsSwitchStep.execute(
        context({ services: { dns: undefined } }),
        params({ records: BOTH, activeSite: "dc2" }),
      ),
    ).rejects.toThrow("this drbot process has no DNS provider configured (dns.provider)");
  });

  it("replaces the declared kind in the registry", () => {
    expect(createStepKindRegistry().get("dns.switch")).toBe(dnsSwitchStep);
  });

  it("accepts the shipped runbooks' parameters", () => {
    expect(params({ records: BOTH, activeSite: "dc2" })).toEqual({
      records: BOTH,
      activeSite: "dc2",
      applyInDrill: false,
      verifyWithin: 10_000,
    });
  });

  it("no longer accepts records: all, and says what to write instead", () => {
    expect(dnsSwitchStep.parse({ records: "all", activeSite: "dc2" })).toEqual({
      ok: false,
      issues: [
        {
          path: ["records"],
          message:
            'records: all is not accepted: a run moves only the records of its applications; write records: "{{scope.dnsRecords}}"',
        },
      ],
    });
  });

  it("refuses a record that also carries an application the run does not move, before touching DNS", async () => {
    const result = await dnsSwitchStep.execute(
      context({ applications: ["payments"] }),
      params({ records: BOTH, activeSite: "dc2" }),
    );
    expect(result).toEqual({
      status: "failed",
      error: "app.example.com also carries core-api, which this run does not move",
    });
    expect(server.requests).toEqual([]);
    const scope = { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" };
    expect(dnsSwitchStep.checkConfig!(params({ records: BOTH, activeSite: "dc2" }), config, scope)).toEqual([
      {
        path: ["with", "records"],
        message: "app.example.com also carries core-api, which this run does not move",
      },
    ]);
  });

  it("moves nothing, and says so, when no record carries the run's applications", async () => {
    const result = await dnsSwitchStep.execute(
      context({ applications: ["analytics"] }),
      params({ records: [], activeSite: "dc2" }),
    );
    expect(result).toEqual({
      status: "succeeded",
      output: "no DNS record carries this run's applications; nothing moved",
    });
    expect(server.requests).toEqual([]);
    const scope = { applications: ["analytics"], tiers: ["tier3"], fromSite: "dc1", toSite: "dc2" };
    expect(dnsSwitchStep.checkConfig!(params({ records: [], activeSite: "dc2" }), config, scope)).toEqual([]);
  });
});
