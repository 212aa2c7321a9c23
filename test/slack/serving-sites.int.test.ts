import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebhookDnsProvider } from "../../src/adapters/dns/webhook-dns-provider.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import type { Config } from "../../src/domain/config.js";
import type { StoredMessage } from "../../src/emulator/slack-emulator.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { type DnsWebhookServer, startDnsWebhookServer } from "../support/dns-webhook-server.js";
import {
  blocksText,
  INCIDENT,
  type SlackHarness,
  startSlackHarness,
  waitForBlocksText,
} from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Which site serves each application, through Slack: a failover moves only the DNS records of its
 * applications and records where they are served; status and the approval card show it; the next
 * requests take their direction from it, and are refused when it makes them wrong (a failover of what
 * DR serves, a failback of what is home, a scope served from two sites, a record shared with an
 * application outside the scope, a drill or restore test while DR serves).
 *
 * payments and core-api share app.example.com; analytics has analytics.example.com to itself.
 * The runbooks are the shipped ones' traffic steps (dns.switch of the scope's records, then
 * site.serving); their Kubernetes steps are covered on real clusters in sites-e2e.k8s.test.ts.
 */
let dns: DnsWebhookServer;
let config: Config;
let h: SlackHarness | undefined;

const traffic = (kind: "failover" | "failback") =>
  testRunbook({
    name: kind,
    kind,
    approvals: { required: 2 },
    phases: [
      {
        name: "traffic",
        steps: [
          {
            id: "switch-dns",
            title: "DNS weights",
            kind: "dns.switch",
            with: { records: "{{scope.dnsRecords}}", activeSite: "{{sites.to}}" },
          },
          {
            id: "record-serving",
            title: "Record the serving site",
            kind: "site.serving",
            with: { site: "{{sites.to}}", applications: "{{scope.applications}}" },
          },
        ],
      },
    ],
  });

/** A drill and a restore test that act on the standby: both name the site they would act on. */
const onStandby = (name: string, kind: "drill" | "verify") =>
  testRunbook({
    name,
    kind,
    approvals: { required: 0 },
    phases: [
      {
        name: "main",
        steps: [
          {
            id: "snapshot",
            title: "State of the standby",
            kind: "k8s.snapshot",
            with: { site: "{{sites.to}}", namespaces: "{{scope.namespaces}}", label: "before" },
          },
        ],
      },
    ],
  });

beforeAll(async () => {
  dns = await startDnsWebhookServer({});
  config = testConfig({
    dns: {
      provider: { kind: "webhook", url: dns.url, timeout: "2s" },
      records: [
        { name: "app.example.com", applications: ["payments", "core-api"], weights: { dc1: 100, dc2: 0 } },
        { name: "analytics.example.com", applications: ["analytics"], weights: { dc1: 100, dc2: 0 } },
      ],
    },
  });
});
afterAll(async () => {
  await dns?.close();
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(siteState = new MemorySiteState()): Promise<SlackHarness> {
  dns.weights = {
    "app.example.com": { dc1: 100, dc2: 0 },
    "analytics.example.com": { dc1: 100, dc2: 0 },
  };
  const provider = config.dns.provider!;
  if (provider.kind !== "webhook") throw new Error("expected the webhook provider");
  h = await startSlackHarness({
    runbooks: [
      traffic("failover"),
      traffic("failback"),
      onStandby("drill", "drill"),
      onStandby("restore-test", "verify"),
    ],
    config,
    siteState,
    services: { dns: new WebhookDnsProvider(provider, {}) },
  });
  return h;
}

/** Types `/dr TEXT` as `user` and returns the ephemeral answer. */
async function answer(user: string, text: string): Promise<string> {
  const seen = h!.ephemeralCount(user);
  const ack = await h!.dr(user, text);
  expect(ack.status).toBe(200);
  return h!.lastEphemeral(user, seen);
}

/** Requests, approves twice and waits for the run to complete; returns its card. */
async function runToCompletion(text: string, title: "Failover" | "Failback"): Promise<StoredMessage> {
  const before = h!.emulator.messages(INCIDENT).length;
  await h!.dr("U0ONCALL", text);
  await waitFor(() => h!.emulator.messages(INCIDENT).length > before, { description: "the card" });
  const card = h!.emulator.messages(INCIDENT).at(-1)!;
  expect(card.text).toContain(`${title} requested`);
  await h!.click("U0A1", INCIDENT, card.ts, "dr:approve");
  await waitForBlocksText(h!, card, "1/2");
  await h!.click("U0A2", INCIDENT, card.ts, "dr:approve");
  await waitFor(async () => (await h!.store.listRuns())[0]?.state === "completed", {
    timeoutMs: 20_000,
    description: `the ${title.toLowerCase()} to complete`,
  });
  return card;
}

describe("which site serves, in Slack", () => {
  it("fails over analytics alone: its record moves to DR, app.example.com stays at DC1, and status says DR serves analytics", async () => {
    const siteState = new MemorySiteState();
    await start(siteState);
    const card = await runToCompletion('failover analytics --reason "analytics cluster lost"', "Failover");
    expect(blocksText(card)).toContain("*Serving now*");
    expect(blocksText(card)).toContain("analytics: serving from *dc1* (home)");
    expect(blocksText(card)).toContain("DNS analytics.example.com → dc2 100");
    expect(dns.weights).toEqual({
      "app.example.com": { dc1: 100, dc2: 0 },
      "analytics.example.com": { dc1: 0, dc2: 100 },
    });
    const [run] = await h!.store.listRuns();
    expect(await siteState.current()).toEqual([
      expect.objectContaining({
        application: "analytics",
        from: "dc1",
        to: "dc2",
        runId: run!.id,
        by: "U0ONCALL",
      }),
    ]);
    const status = await answer("U0ONCALL", "status");
    expect(status).toContain("*Serving*");
    expect(status).toMatch(
      new RegExp(
        `analytics: serving from \\*dc2\\* since <!date\\^\\d+\\^[^|]+\\|[^>]+>, \`${run!.id}\` by <@U0ONCALL>`,
      ),
    );
    expect(status).toContain("payments, core-api: serving from *dc1* (home)");
  });

  it("takes the direction of the next requests from it, and refuses those it makes wrong, saying why", async () => {
    const siteState = new MemorySiteState();
    await start(siteState);
    await runToCompletion('failover analytics --reason "analytics cluster lost"', "Failover");
    const [failover] = await h!.store.listRuns();

    const again = await answer("U0ONCALL", 'failover analytics --reason "again"');
    expect(again).toContain("*Already served from that site*");
    expect(again).toContain(`analytics is served from dc2 since`);
    expect(again).toContain(`(${failover!.id})`);
    expect(again).toContain("To bring them home: /dr failback analytics");

    expect(await answer("U0ONCALL", 'failback tier1 --reason "x"')).toContain(
      "payments is served from dc1 (its home); core-api is served from dc1 (its home): a failback brings applications home, and they are already there",
    );
    const mixed = await answer("U0ONCALL", 'failover all --reason "everything"');
    expect(mixed).toContain("*These applications are served from different sites*");
    expect(mixed).toContain("analytics is served from dc2 since");

    const drill = await answer("U0ONCALL", "drill payments");
    expect(drill).toContain("*The standby site is serving production*");
    expect(drill).toContain("a drill runs on the standby, and dc2 is not one while it serves production");
    expect(drill).toContain("Fail back first: /dr failback analytics");
    await expect(
      h!.service.request({
        actor: "U0ONCALL",
        runbook: "restore-test",
        targets: ["payments"],
        reason: "monthly",
        source: "cli",
      }),
    ).rejects.toMatchObject({ code: "standby_serving" });
    expect((await h!.store.listRuns()).map((r) => r.id)).toEqual([failover!.id]);

    // The failback goes the other way, and its card shows where analytics is served from now.
    const card = await runToCompletion(
      'failback analytics --reason "analytics cluster repaired"',
      "Failback",
    );
    expect(blocksText(card)).toContain("Failback requested: analytics (dc2 → dc1)");
    expect(blocksText(card)).toMatch(new RegExp(`analytics: serving from \\*dc2\\* since .*${failover!.id}`));
    expect(dns.weights["analytics.example.com"]).toEqual({ dc1: 100, dc2: 0 });
    expect((await siteState.history({ application: "analytics" })).map((m) => `${m.from}→${m.to}`)).toEqual([
      "dc2→dc1",
      "dc1→dc2",
    ]);
  });

  it("refuses a failover that would move a record another application shares, and takes it along with --with-shared", async () => {
    await start();
    const refused = await answer("U0ONCALL", 'failover payments --reason "payments down"');
    expect(refused).toBe(
      "*A DNS record also carries other applications*: DNS record app.example.com also carries core-api: a run moves a record only with every application behind it. Name them too, or add --with-shared to include them",
    );
    expect(await h!.store.listRuns()).toEqual([]);
    const before = h!.emulator.messages(INCIDENT).length;
    await h!.dr("U0ONCALL", 'failover payments --with-shared --reason "payments down"');
    await waitFor(() => h!.emulator.messages(INCIDENT).length > before, { description: "the card" });
    const card = h!.emulator.messages(INCIDENT).at(-1)!;
    expect(card.text).toContain("Failover requested: payments, core-api (dc1 → dc2)");
    expect(blocksText(card)).toContain(
      "core-api included: it shares DNS record `app.example.com` with the scope (--with-shared)",
    );
    const [run] = await h!.store.listRuns();
    expect(run!.scope.shared).toEqual([{ record: "app.example.com", applications: ["core-api"] }]);
    // The approval computes the same plan again: --with-shared is part of it.
    await h!.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitForBlocksText(h!, card, "1/2");
    await h!.click("U0A2", INCIDENT, card.ts, "dr:approve");
    await waitFor(async () => (await h!.store.getRun(run!.id))?.state === "completed", {
      timeoutMs: 20_000,
      description: "the failover to complete",
    });
    expect(dns.weights["app.example.com"]).toEqual({ dc1: 0, dc2: 100 });
  });
});
