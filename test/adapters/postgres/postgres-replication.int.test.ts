import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { PostgresReplication } from "../../../src/adapters/postgres/postgres-replication.js";
import { readPostgresRpo } from "../../../src/adapters/postgres/read-postgres-rpo.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import type { Config } from "../../../src/domain/config.js";
import { tierRpo } from "../../../src/domain/rpo.js";
import { dbLagGateStep } from "../../../src/engine/step-kinds/db-lag-gate.js";
import { dbPromoteStep } from "../../../src/engine/step-kinds/db-promote.js";
import type { PostgresSourceConfig } from "../../../src/ports/database-replication.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { testConfig, testRunbook } from "../../support/config-fixture.js";
import { type PostgresPair, startPostgresPair } from "../../support/postgres-pair.js";
import { freePort } from "../../support/redis-server.js";
import { INCIDENT, startSlackHarness } from "../../support/slack-harness.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * drbot against two real PostgreSQL servers in streaming replication: lag on an idle primary, lag
 * under write load while the replica's replay is paused, unreachable and hung servers, passwords,
 * and promotion of the replica (last, since it ends the replication).
 */
let pair: PostgresPair;
let replication: PostgresReplication;
const LAG_ALERT_MS = 1_000;

beforeAll(async () => {
  pair = await startPostgresPair();
  replication = new PostgresReplication({ PG_TEST_PASSWORD: pair.drbotPassword });
}, 120_000);
afterAll(async () => {
  await pair?.stop();
});

function configWith(source: Record<string, unknown>): Config {
  return testConfig({
    dataSources: [source, { name: "velero", kind: "velero", site: "dc1", schedule: "daily" }],
  });
}

function postgresSource(config: Config): PostgresSourceConfig {
  return config.dataSources.find((d): d is PostgresSourceConfig => d.kind === "postgres")!;
}

const ctxFor = (config: Config, lines: string[] = []) =>
  stepContext(config, { services: { replication }, lines });

/** Age of the replica's last replayed commit, computed the naive way (what an idle primary breaks). */
async function naiveReplayAgeMs(): Promise<number> {
  const [row] = await pair.sql<{ age_ms: number | null }>(
    "replica",
    "SELECT (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS age_ms",
  );
  return row?.age_ms ?? 0;
}

async function replicaHasCaughtUp(): Promise<boolean> {
  const [primary] = await pair.sql<{ lsn: string }>("primary", "SELECT pg_current_wal_lsn()::text AS lsn");
  const [replica] = await pair.sql<{ caught_up: boolean }>(
    "replica",
    "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up",
    [primary!.lsn],
  );
  return replica?.caught_up === true;
}

describe("replication lag read from the databases", () => {
  it("is zero on an idle primary, even when the last replayed commit is older than the alert threshold", async () => {
    const config = configWith(pair.source({ lagAlert: "1s" }));
    await pair.sql("primary", "INSERT INTO load (payload) VALUES ('before going idle')");
    await waitFor(replicaHasCaughtUp, { timeoutMs: 10_000, description: "the replica to replay the insert" });
    await waitFor(async () => (await naiveReplayAgeMs()) > LAG_ALERT_MS, {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: "the last replayed commit to be older than the alert threshold",
    });

    const lag = await replication.readLag(postgresSource(config));
    const reading = await readPostgresRpo(postgresSource(config), { replication, now: () => 42 });

    expect(lag).toMatchObject({ lagMs: 0, state: "caught_up", alert: false, bytesBehind: 0 });
    expect(lag.detail).toMatch(/not lag: the primary has written nothing since/);
    expect(reading).toMatchObject({ source: "pg", kind: "postgres", exposureMs: 0, at: 42 });
  });

  it("grows under write load while replay is paused, crosses the alert threshold, and the lag gate refuses", async () => {
    const config = configWith(pair.source({ lagAlert: "1s" }));
    const source = postgresSource(config);
    await pair.sql("replica", "SELECT pg_wal_replay_pause()");
    let writing = true;
    const load = (async () => {
      let i = 0;
      while (writing) await pair.sql("primary", "INSERT INTO load (payload) VALUES ($1)", [`row ${i++}`]);
    })();
    try {
      let last = await replication.readLag(source);
      await waitFor(
        async () => {
          last = await replication.readLag(source);
          return last.lagMs !== undefined && last.lagMs > LAG_ALERT_MS;
        },
        { timeoutMs: 20_000, intervalMs: 200, description: "the lag to cross the alert threshold" },
      );
      expect(last).toMatchObject({ state: "behind", alert: true });
      expect(last.bytesBehind).toBeGreaterThan(0);
      expect(last.detail).toMatch(/replay is paused on the replica; above the 1s alert threshold/);

      const gate = await dbLagGateStep.execute(ctxFor(config), { source: "*" });
      expect(gate).toMatchObject({ status: "failed" });
      expect(gate.status === "failed" && gate.error).toMatch(/pg: lag .* is above the limit of 1s/);
    } finally {
      writing = false;
      await load;
      await pair.sql("replica", "SELECT pg_wal_replay_resume()");
    }

    await waitFor(replicaHasCaughtUp, {
      timeoutMs: 20_000,
      description: "the replica to catch up after resuming",
    });
    const gate = await dbLagGateStep.execute(ctxFor(config), { source: "pg" });
    expect(gate).toMatchObject({ status: "succeeded" });
  });

  it("is unknown when a server does not answer, and the tier counts it as the worst case", async () => {
    const deadPort = await freePort();
    const config = configWith(
      pair.source({
        replica: { host: "127.0.0.1", port: deadPort, user: "drbot", passwordEnv: "PG_TEST_PASSWORD" },
      }),
    );

    const reading = await readPostgresRpo(postgresSource(config), { replication, now: () => 0 });
    const [tier1] = tierRpo(config, [reading], 0);

    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toMatch(/^lag unknown: the replica did not answer .*unreachable \(ECONNREFUSED\)/);
    expect(tier1).toMatchObject({ tier: "tier1", effectiveMs: Number.POSITIVE_INFINITY, unknown: ["pg"] });
    expect(tier1?.withinTarget).toBe(false);
  });

  it("gives up on a server that accepts connections but never answers, at the source's deadline", async () => {
    await pair.sql(
      "primary",
      "INSERT INTO load (payload) VALUES ('replayed before the primary goes silent')",
    );
    await waitFor(replicaHasCaughtUp, { timeoutMs: 10_000, description: "the replica to replay the insert" });
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const config = configWith(
        pair.source({
          timeout: "500ms",
          primary: { host: "127.0.0.1", port, user: "drbot", passwordEnv: "PG_TEST_PASSWORD" },
        }),
      );

      const lag = await replication.readLag(postgresSource(config));

      expect(lag.lagMs).toBeUndefined();
      expect(lag.detail).toMatch(
        /the primary did not answer \(pg primary \(127\.0\.0\.1:\d+\): .*no answer within 500 ms\)/,
      );
      expect(lag.detail).toMatch(
        /the replica's last replayed commit is from .*whatever the primary committed after that is at risk/,
      );

      // An operator's abort arrives while drbot waits on the silent server: the call stops there.
      const operator = new AbortController();
      silent.once("connection", () => operator.abort());
      const aborted = await replication.readLag(
        postgresSource(
          configWith(
            pair.source({
              timeout: "1m",
              primary: { host: "127.0.0.1", port, user: "drbot", passwordEnv: "PG_TEST_PASSWORD" },
            }),
          ),
        ),
        { signal: operator.signal },
      );
      expect(aborted).toMatchObject({ lagMs: undefined, state: "unknown" });
      expect(aborted.detail).toMatch(/did not answer .*stopped: the caller gave up/);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("takes the password from passwordEnv and never shows it, right or wrong", async () => {
    const config = configWith(pair.source());
    const wrong = "wrong-password-4f2a9c";
    const refused = await new PostgresReplication({ PG_TEST_PASSWORD: wrong }).readLag(
      postgresSource(config),
    );
    const unset = await new PostgresReplication({}).readLag(postgresSource(config));

    expect(refused.lagMs).toBeUndefined();
    expect(refused.detail).toMatch(/password authentication failed for user "drbot"/);
    expect(refused.detail).not.toContain(wrong);
    expect(unset.detail).toMatch(
      /replica\.passwordEnv names PG_TEST_PASSWORD, but that environment variable is not set/,
    );
    expect(JSON.stringify([refused, unset])).not.toContain(pair.drbotPassword);
  });
});

describe("drbot's runtime", () => {
  it("reads the pair's lag for the tiers, and the shipped failover runbook promotes the replica in real runs only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drbot-pg-runtime-"));
    const configPath = join(dir, "drbot.yaml");
    const base = testConfig();
    await writeFile(
      configPath,
      stringify({
        sites: base.sites.map((s) => ({ name: s.name, role: s.role, kubeconfig: { context: s.name } })),
        tiers: [
          { name: "tier1", rto: "2h", rpo: "15m" },
          { name: "tier3", rto: "8h", rpo: "4h" },
        ],
        applications: [
          {
            name: "payments",
            tier: "tier1",
            namespaces: ["production"],
            workloads: [{ namespace: "production", name: "payments-api", replicas: 3 }],
            dataSources: ["pg"],
          },
        ],
        dataSources: [pair.source({ lagAlert: "30s" })],
        // The shipped failover moves traffic too; nothing is switched here, the plan only needs it.
        dns: {
          provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
          records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
        },
      }),
    );
    const runtime = await createRuntime({
      configPath,
      runbooksDir: "runbooks",
      env: parseEnvironment({ PG_TEST_PASSWORD: pair.drbotPassword }),
      store: new MemoryRunStore({ now: () => Date.now() }),
      autoStart: false,
    });
    try {
      await waitFor(replicaHasCaughtUp, { timeoutMs: 10_000, description: "the replica to catch up" });
      const [tier1] = await runtime.service.rpo();
      expect(tier1).toMatchObject({ tier: "tier1", effectiveMs: 0, withinTarget: true, unknown: [] });
      expect(tier1?.readings).toMatchObject([{ source: "pg", kind: "postgres", exposureMs: 0 }]);

      const real = await runtime.service.plan({ runbook: "failover", targets: ["payments"] });
      const drill = await runtime.service.plan({ runbook: "failover", targets: ["payments"], mode: "drill" });
      expect(real.steps.find((s) => s.kind === "db.promote")).toMatchObject({
        id: "promote-database",
        params: { source: "*" },
        summary: "promote the PostgreSQL replicas of the run's applications",
      });
      expect(drill.steps.some((s) => s.kind === "db.promote")).toBe(false);
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("promotion of the replica", () => {
  it("is requested in Slack, approved by two people, promotes the replica once the primary is gone, and shows in the thread and the audit trail", async () => {
    const config = configWith(pair.source({ lagAlert: "1s" }));
    expect(await dbPromoteStep.observe!(ctxFor(config), { source: "*" })).toMatchObject({ holds: false });
    await pair.primary.stop();

    const failover = testRunbook({
      name: "failover",
      title: "Fail over",
      phases: [
        {
          name: "activate",
          steps: [
            {
              id: "promote-database",
              title: "Promote the PostgreSQL replicas",
              kind: "db.promote",
              with: { source: "*" },
            },
          ],
        },
      ],
    });
    const h = await startSlackHarness({ runbooks: [failover], config, services: { replication } });
    try {
      await h.dr("U0ONCALL", 'failover payments --reason "DC1 lost"');
      const card = await h.findMessage("Failover requested");
      await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
      await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
      const runId = (await h.store.listRuns())[0]!.id;
      await waitFor(async () => (await h.store.getRun(runId))?.state === "completed", {
        timeoutMs: 30_000,
        description: "the failover to complete",
      });
      const progress = await h.findMessage(`Failover ${runId}`);
      await h.surface.notifier.idle();

      const replies = h.emulator.thread(INCIDENT, progress.ts).map((m) => m.text);
      expect(replies.some((t) => t.startsWith("Promote the PostgreSQL replicas: succeeded"))).toBe(true);
      const step = (await h.store.getSteps(runId)).get("promote-database");
      expect(step).toMatchObject({ status: "succeeded", output: expect.stringContaining("promoted: pg") });
      expect(step?.output).toMatch(/pg: before promotion, lag unknown: the primary did not answer/);
      const audit = JSON.stringify(await h.store.readEvents(runId));
      expect(audit).toContain("promote-database");
      expect(audit).not.toContain(pair.drbotPassword);
    } finally {
      await h.stop();
    }
    expect(await dbPromoteStep.observe!(ctxFor(config), { source: "*" })).toMatchObject({ holds: true });
    await pair.sql("replica", "INSERT INTO load (payload) VALUES ('written on the promoted replica')");
  });

  it("observes that a second promotion already happened and does nothing", async () => {
    const config = configWith(pair.source());
    const lines: string[] = [];
    const second = await dbPromoteStep.execute(ctxFor(config, lines), { source: "pg" });
    expect(second).toMatchObject({ status: "succeeded", output: "promoted: pg" });
    expect(lines.join("\n")).toMatch(/pg: already out of recovery: nothing to promote/);
    expect(await replication.readLag(postgresSource(config))).toMatchObject({
      lagMs: undefined,
      detail: expect.stringMatching(/not in recovery: it has been promoted/),
    });
  });
});
