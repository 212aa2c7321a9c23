import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { type KeyPair, makeKeyPair } from "../support/ssh-keys.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Alerts that reach people when Slack cannot: `drbot serve` in its own process, on real Redis, with
 * Slack unreachable (its API URL is a local port nothing listens on), the primary down (its API
 * server address refuses connections), email through a real SMTP server on loopback (the
 * smtp-server package, speaking SMTP to nodemailer's client) and webhooks to a local receiver in
 * Alertmanager's and PagerDuty Events v2's formats. The watcher's alert and a failed run each
 * arrive by email and by both webhooks.
 */
const PAGERDUTY_KEY = "R0UTINGKEY0123456789abcdef012345";
const BROKEN = (port: number) => `
name: verify-broken
title: Verify broken
kind: verify
phases:
  - name: check
    rtoPhase: validation
    steps:
      - id: probe
        title: Probe a service that is down
        kind: http
        with: { url: "http://127.0.0.1:${port}/healthz" }
        timeout: 2s
        onFailure: abort
`;

interface Mail {
  from: string;
  to: string[];
  raw: string;
  /** The text body, quoted-printable decoded (how nodemailer sends long lines). */
  text: string;
}
interface Hook {
  path: string;
  body: unknown;
}

let redis: RedisServer;
let smtp: SMTPServer;
let receiver: Server;
let serve: ServeProcess;
let work: string;
let env: Record<string, string>;
let oncallKey: KeyPair;
const mails: Mail[] = [];
const hooks: Hook[] = [];

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The Subject header, unfolded (a long header continues on lines that start with white space). */
const subjectOf = (mail: Mail) => {
  const headers = mail.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  return /^Subject: (.*)$/m.exec(headers)?.[1] ?? "";
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-serve-alerts-"));
  redis = await startRedisServer();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text: decodeQuotedPrintable(
            raw
              .split(/\r?\n\r?\n/)
              .slice(1)
              .join("\n\n"),
          ),
        });
        callback();
      });
    },
  });
  const smtpPort = await freePort();
  await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hooks.push({ path: req.url ?? "", body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(req.url === "/v2/enqueue" ? 202 : 200, { "content-type": "application/json" });
      res.end(req.url === "/v2/enqueue" ? '{"status":"success"}' : "");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hookPort = (receiver.address() as { port: number }).port;

  // Both sites' API servers, Slack and the probed service: ports nothing listens on.
  const [downPort, slackPort, servicePort] = [await freePort(), await freePort(), await freePort()];
  const kubeconfig = join(work, "kubeconfig");
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: ["dc1", "dc2"].map((name) => ({
        name,
        cluster: { server: `https://127.0.0.1:${downPort}`, "insecure-skip-tls-verify": true },
      })),
      users: [{ name: "drbot", user: { token: "not-a-real-token" } }],
      contexts: ["dc1", "dc2"].map((name) => ({ name, context: { cluster: name, user: "drbot" } })),
      "current-context": "dc1",
    }),
    { mode: 0o600 },
  );
  await mkdir(join(work, "runbooks"));
  // The on-call engineer requests from the CLI, signing with their own key.
  oncallKey = await makeKeyPair(work, "oncall");
  await writeFile(join(work, "runbooks", "verify-broken.yaml"), BROKEN(servicePort));
  await writeFile(
    join(work, "drbot.yaml"),
    stringify({
      sites: [
        {
          name: "dc1",
          role: "primary",
          kubeconfig: { path: kubeconfig, context: "dc1" },
          requestTimeout: "1s",
        },
        { name: "dc2", role: "dr", kubeconfig: { path: kubeconfig, context: "dc2" }, requestTimeout: "1s" },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      slack: {
        incidentChannels: ["C0INCIDENT"],
        permissions: { verify: { requesters: { users: ["U0ONCALL"] } } },
      },
      redis: { url: redis.url, keyPrefix: "drbot:" },
      approvals: { keys: { U0ONCALL: [oncallKey.publicLine] } },
      engine: { leaseTtl: "2s" },
      watch: { interval: "1s", probeTimeout: "500ms", failureThreshold: 2, leaseTtl: "2s" },
      notifications: {
        email: {
          smtp: { host: "127.0.0.1", port: smtpPort, security: "none" },
          from: "drbot@example.com",
          to: ["ops-team@example.com"],
        },
        webhooks: [
          { name: "alertmanager", format: "alertmanager", url: `http://127.0.0.1:${hookPort}/api/v2/alerts` },
          {
            name: "pagerduty",
            format: "pagerduty",
            url: `http://127.0.0.1:${hookPort}/v2/enqueue`,
            routingKeyEnv: "PAGERDUTY_ROUTING_KEY",
          },
        ],
        timeout: "5s",
      },
    }),
  );
  env = {
    DRBOT_CONFIG: join(work, "drbot.yaml"),
    DRBOT_RUNBOOKS: join(work, "runbooks"),
    SLACK_BOT_TOKEN: "xoxb-0-unreachable",
    SLACK_SIGNING_SECRET: "signing-secret-nobody-checks",
    SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
    PAGERDUTY_ROUTING_KEY: PAGERDUTY_KEY,
  };
  serve = await startServeProcess(env);
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await new Promise((resolve) => receiver?.close(resolve));
  await redis?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("alerts with Slack unreachable", () => {
  it("email and both webhooks get the watcher's alert that the primary is down", async () => {
    await waitFor(() => mails.some((m) => subjectOf(m).includes("Serving site dc1 is down")), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: `the watcher's alert by email; serve said:\n${serve.output()}`,
    });
    const mail = mails.find((m) => subjectOf(m).includes("Serving site dc1 is down"))!;
    expect(mail.from).toBe("drbot@example.com");
    expect(mail.to).toEqual(["ops-team@example.com"]);
    expect(subjectOf(mail)).toMatch(/^\[drbot\] CRITICAL: Serving site dc1 is down \(failing since /);
    expect(mail.text).toContain("drbot never fails over by itself");

    await waitFor(() => hooks.filter((h) => JSON.stringify(h.body).includes("watch:")).length >= 2, {
      timeoutMs: 10_000,
      description: "the watcher's alert at both webhooks",
    });
    const am = hooks.find(
      (h) => h.path === "/api/v2/alerts" && JSON.stringify(h.body).includes("DrbotPrimaryDown"),
    );
    expect(am?.body).toMatchObject([
      {
        labels: { alertname: "DrbotPrimaryDown", severity: "critical", service: "drbot", site: "dc1" },
        annotations: { summary: expect.stringContaining("Serving site dc1 is down") },
        startsAt: expect.stringMatching(/Z$/),
        endsAt: expect.stringMatching(/Z$/),
      },
    ]);
    const pd = hooks.find((h) => h.path === "/v2/enqueue" && JSON.stringify(h.body).includes("watch:"));
    expect(pd?.body).toMatchObject({
      routing_key: PAGERDUTY_KEY,
      event_action: "trigger",
      dedup_key: expect.stringMatching(/^watch:/),
      payload: { severity: "critical", source: "drbot", component: "dc1", class: "DrbotPrimaryDown" },
    });
    // Slack never answered: the watcher keeps retrying its post, and the email went out once.
    expect(mails.filter((m) => subjectOf(m).includes("Serving site dc1 is down"))).toHaveLength(1);
  });

  it("email and both webhooks get a failed run's outcome", async () => {
    const requested = await execa(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "run",
        "verify-broken",
        "payments",
        "--yes",
        "--as",
        "U0ONCALL",
        "--key",
        oncallKey.privatePath,
        "--detach",
        "--json",
      ],
      { env: { ...process.env, ...env }, reject: false, timeout: 60_000 },
    );
    expect(requested.exitCode, requested.stderr).toBe(0);
    const runId = (JSON.parse(requested.stdout) as { id: string }).id;
    await waitFor(() => mails.some((m) => subjectOf(m).includes("Verify broken (real) failed")), {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `the failed run by email; serve said:\n${serve.output()}`,
    });
    const mail = mails.find((m) => subjectOf(m).includes("Verify broken (real) failed"))!;
    expect(subjectOf(mail)).toBe("[drbot] CRITICAL: Verify broken (real) failed: payments");
    expect(mail.text).toContain(`run ${runId}, requested by U0ONCALL`);
    expect(mail.text).toContain(`drbot show ${runId}`);

    await waitFor(
      () =>
        hooks.filter(
          (h) =>
            JSON.stringify(h.body).includes(`run:${runId}`) ||
            JSON.stringify(h.body).includes(`"run":"${runId}"`),
        ).length >= 2,
      {
        timeoutMs: 10_000,
        description: "the failed run at both webhooks",
      },
    );
    const am = hooks.find((h) => h.path === "/api/v2/alerts" && JSON.stringify(h.body).includes(runId));
    expect(am?.body).toMatchObject([
      { labels: { alertname: "DrbotRunOutcome", severity: "critical", run: runId, state: "failed" } },
    ]);
    const pd = hooks.find((h) => h.path === "/v2/enqueue" && JSON.stringify(h.body).includes(runId));
    expect(pd?.body).toMatchObject({
      event_action: "trigger",
      dedup_key: `run:${runId}`,
      payload: { severity: "critical", summary: "Verify broken (real) failed: payments" },
    });
    // The routing key is a secret: it went to PagerDuty in the body and nowhere else.
    expect(serve.output()).not.toContain(PAGERDUTY_KEY);
    expect(mails.map((m) => m.text).join("\n")).not.toContain(PAGERDUTY_KEY);
  }, 120_000);
});
