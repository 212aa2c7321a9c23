import pg from "pg";
import type { PostgresPair } from "./postgres-pair.js";

/**
 * An application on the PostgreSQL pair, as the data tests need one: it writes continuously to
 * the server it is pointed at (as the `app` role, through a fresh connection per write, so it sees
 * what a new client would) and keeps the id of every write the database accepted; and a sampler
 * that asks both servers, over and over, whether they would accept a write right now.
 */
export type PairServer = "primary" | "replica";

const SQL_DEADLINE_MS = 5_000;

async function asApp<T>(
  pair: PostgresPair,
  server: PairServer,
  work: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port: pair[server].port,
    user: "app",
    password: pair.appPassword,
    database: "postgres",
    connectionTimeoutMillis: SQL_DEADLINE_MS,
    query_timeout: SQL_DEADLINE_MS,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface Writer {
  /** Ids of the rows the database accepted (the INSERT returned), in order. */
  readonly accepted: number[];
  /** Writes refused or failed (read-only, server gone), by message. */
  readonly refused: Map<string, number>;
  /** Stops writing and waits for the write in flight. */
  stop(): Promise<void>;
}

/** Writes one row after another to `target()` (asked before each write) until stopped. */
export function startWriter(pair: PostgresPair, target: () => PairServer, label = "writer"): Writer {
  const accepted: number[] = [];
  const refused = new Map<string, number>();
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      const server = target();
      try {
        const id = await asApp(pair, server, async (c) => {
          const { rows } = await c.query<{ id: string }>(
            "INSERT INTO load (payload) VALUES ($1) RETURNING id",
            [`${label} ${n++} to ${server}`],
          );
          return Number(rows[0]!.id);
        });
        accepted.push(id);
      } catch (error) {
        const message = `${server}: ${(error as Error).message}`;
        refused.set(message, (refused.get(message) ?? 0) + 1);
        // A refused write is retried at once by a real client too; a short pause keeps the log small.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  })();
  return {
    accepted,
    refused,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export interface WritabilitySample {
  at: number;
  primary: boolean;
  replica: boolean;
}

export interface WritabilitySampler {
  readonly samples: WritabilitySample[];
  /** Samples at which both servers would have accepted a write. */
  bothWritable(): WritabilitySample[];
  stop(): Promise<void>;
}

/**
 * Whether a new session of the application can write on a server: it tries (an INSERT in a
 * transaction it rolls back). A server that does not answer cannot write.
 */
export async function acceptsWrites(pair: PostgresPair, server: PairServer): Promise<boolean> {
  try {
    return await asApp(pair, server, async (c) => {
      await c.query("BEGIN");
      try {
        await c.query("INSERT INTO load (payload) VALUES ('writability probe')");
        return true;
      } catch {
        return false;
      } finally {
        await c.query("ROLLBACK");
      }
    });
  } catch {
    return false;
  }
}

/** Samples both servers side by side, one pair of probes after another, until stopped. */
export function sampleWritability(pair: PostgresPair): WritabilitySampler {
  const samples: WritabilitySample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      const [primary, replica] = await Promise.all([
        acceptsWrites(pair, "primary"),
        acceptsWrites(pair, "replica"),
      ]);
      samples.push({ at, primary, replica });
    }
  })();
  return {
    samples,
    bothWritable: () => samples.filter((s) => s.primary && s.replica),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The ids in `ids` that the server does not have. */
export async function missingRows(
  pair: PostgresPair,
  server: PairServer,
  ids: readonly number[],
): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await pair.sql<{ id: string }>(server, "SELECT id FROM load WHERE id = ANY($1::bigint[])", [
    ids,
  ]);
  const present = new Set(rows.map((r) => Number(r.id)));
  return ids.filter((id) => !present.has(id));
}
