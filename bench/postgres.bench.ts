import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { PostgresReplication } from "../src/adapters/postgres/postgres-replication.js";
import { readPostgresRpo } from "../src/adapters/postgres/read-postgres-rpo.js";
import { configSchema } from "../src/domain/config.js";
import type { PostgresSourceConfig } from "../src/ports/database-replication.js";
import { startPostgresPair } from "../test/support/postgres-pair.js";
import { freePort } from "../test/support/redis-server.js";
import { type BenchResult, percentile } from "./bench-kit.js";

const READINGS = 200;
/** Readings before measuring, so the first connection's module loading and JIT are not counted. */
const WARM_UP = 5;

/**
 * What the PostgreSQL source costs `/dr status` and a failover, on a real pair in streaming
 * replication on loopback: one RPO reading (two connections, three queries, in parallel) on a
 * healthy pair and with the replica's port closed, and the time pg_promote takes end to end.
 * The target keeps one reading well inside the status budget of 2 s shared by every source.
 */
export async function run(): Promise<BenchResult> {
  const pair = await startPostgresPair();
  try {
    const replication = new PostgresReplication({ PG_TEST_PASSWORD: pair.drbotPassword });
    const sourceOf = (raw: Record<string, unknown>) =>
      configSchema.shape.dataSources.parse([raw])[0] as PostgresSourceConfig;
    const healthy = sourceOf(pair.source());
    const deadPort = await freePort();
    const down = sourceOf(
      pair.source({
        replica: { host: "127.0.0.1", port: deadPort, user: "drbot", passwordEnv: "PG_TEST_PASSWORD" },
      }),
    );
    const time = async (read: () => Promise<unknown>) => {
      const started = performance.now();
      await read();
      return performance.now() - started;
    };
    const now = () => Date.now();
    for (let i = 0; i < WARM_UP; i++) await readPostgresRpo(healthy, { replication, now });
    const healthyMs: number[] = [];
    for (let i = 0; i < READINGS; i++)
      healthyMs.push(await time(() => readPostgresRpo(healthy, { replication, now })));
    const downMs: number[] = [];
    for (let i = 0; i < READINGS; i++)
      downMs.push(await time(() => readPostgresRpo(down, { replication, now })));
    const promoteMs = await time(() => replication.promote(healthy, { timeoutMs: 60_000 }));
    return {
      name: "postgres",
      figures: [
        { name: "RPO reading, healthy pair, p50", value: percentile(healthyMs, 50), unit: "ms" },
        { name: "RPO reading, healthy pair, p90", value: percentile(healthyMs, 90), unit: "ms" },
        {
          name: "RPO reading, healthy pair, p99",
          value: percentile(healthyMs, 99),
          unit: "ms",
          target: { op: "<", value: 200 },
        },
        { name: "RPO reading, replica refusing, p50", value: percentile(downMs, 50), unit: "ms" },
        { name: "promotion (pg_promote, wait), end to end", value: promoteMs, unit: "ms" },
      ],
      notes: [
        `${READINGS} sequential readings each after ${WARM_UP} to warm up; PostgreSQL from Debian's packages on 127.0.0.1`,
        "each reading opens two connections with SCRAM authentication, the bulk of its cost",
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
      ],
    };
  } finally {
    await pair.stop();
  }
}
