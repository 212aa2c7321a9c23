import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PostgresReplication } from "../../../src/adapters/postgres/postgres-replication.js";
import type { Config } from "../../../src/domain/config.js";
import { dbReadOnlyStep } from "../../../src/engine/step-kinds/db-read-only.js";
import { dbReadWriteStep } from "../../../src/engine/step-kinds/db-read-write.js";
import { testConfig } from "../../support/config-fixture.js";
import { acceptsWrites } from "../../support/postgres-load.js";
import { type PostgresPair, startPostgresPair } from "../../support/postgres-pair.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * db.read-write, the undo of db.read-only, on two real PostgreSQL servers in streaming replication:
 * the primary's writes stopped and given back, and never given back once the replica was promoted
 * (two writable servers). Each test starts its own pair (a promotion ends the replication).
 */
let pair: PostgresPair;
let replication: PostgresReplication;
let config: Config;

beforeEach(async () => {
  pair = await startPostgresPair();
  replication = new PostgresReplication({ PG_TEST_PASSWORD: pair.drbotPassword });
  config = testConfig({
    dataSources: [pair.source(), { name: "velero", kind: "velero", site: "dc1", schedule: "daily" }],
  });
}, 120_000);
afterEach(async () => {
  await pair?.stop();
});

const ctx = (lines: string[] = []) => stepContext(config, { services: { replication }, lines });
const onPrimary = { source: "*", site: "dc1" } as const;

describe("db.read-write on a real PostgreSQL pair", () => {
  it("gives the primary its writes back after db.read-only stopped them, and observes that it holds", async () => {
    await dbReadOnlyStep.execute(ctx(), { ...onPrimary, whenUnreachable: "fail" });
    expect(await acceptsWrites(pair, "primary")).toBe(false);
    expect(await dbReadWriteStep.observe!(ctx(), onPrimary)).toMatchObject({ holds: false });

    const lines: string[] = [];
    expect(await dbReadWriteStep.execute(ctx(lines), onPrimary)).toEqual({
      status: "succeeded",
      output: "writes back on in dc1",
    });
    expect(lines.join("\n")).toMatch(/the other server is a standby/);
    expect(await acceptsWrites(pair, "primary")).toBe(true);
    expect(await dbReadWriteStep.observe!(ctx(), onPrimary)).toEqual({
      holds: true,
      evidence: "every server in dc1 takes writes",
    });
    // Again: nothing to change.
    expect(await dbReadWriteStep.execute(ctx(), onPrimary)).toMatchObject({ status: "succeeded" });
  });

  it("leaves the writes off when the replica was promoted meanwhile: never two writable servers", async () => {
    await dbReadOnlyStep.execute(ctx(), { ...onPrimary, whenUnreachable: "fail" });
    await pair.sql("replica", "SELECT pg_promote(true, 30)");

    const result = await dbReadWriteStep.execute(ctx(), onPrimary);

    expect(result.status).toBe("failed");
    expect(result.status === "failed" && result.error).toMatch(
      /pg: the other server takes the primary's role .*: the writes stay off in dc1, or both would take writes/,
    );
    expect(await acceptsWrites(pair, "primary")).toBe(false);
    expect(await acceptsWrites(pair, "replica")).toBe(true);
  });

  it("leaves the writes off when DR's server cannot be read, naming the check and the commands to run by hand", async () => {
    await dbReadOnlyStep.execute(ctx(), { ...onPrimary, whenUnreachable: "fail" });
    await pair.replica.stop();

    const result = await dbReadWriteStep.execute(ctx(), onPrimary);

    expect(result.status).toBe("failed");
    const error = result.status === "failed" ? result.error : "";
    expect(error).toMatch(
      /^pg: the other server's role could not be read \(.+\), so the writes stay off in dc1: it may have been promoted\. /,
    );
    expect(error).toContain(
      `Check that it is still a replica (\`psql -h 127.0.0.1 -p ${pair.replica.port} -d postgres -Atc "SELECT pg_is_in_recovery()"\` prints t), then give the writes back by hand: \`psql -h 127.0.0.1 -p ${pair.primary.port} -d postgres -c "ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()"\``,
    );
    expect(error).not.toContain(pair.drbotPassword);
    expect(await acceptsWrites(pair, "primary")).toBe(false);

    // DR back, still a standby: the undo gives the writes back.
    await pair.replica.start();
    expect(await dbReadWriteStep.execute(ctx(), onPrimary)).toMatchObject({ status: "succeeded" });
    expect(await acceptsWrites(pair, "primary")).toBe(true);
  });

  it("leaves a server a DBA had made read-only before the run read-only, saying so in both steps", async () => {
    await pair.sql("primary", "ALTER SYSTEM SET default_transaction_read_only = on");
    await pair.sql("primary", "SELECT pg_reload_conf()");
    await waitFor(async () => !(await acceptsWrites(pair, "primary")), {
      description: "the primary to be read-only by the DBA's ALTER SYSTEM",
    });

    const stopLines: string[] = [];
    const stopped = await dbReadOnlyStep.execute(ctx(stopLines), { ...onPrimary, whenUnreachable: "fail" });
    expect(stopped).toMatchObject({ status: "succeeded" });
    const recorded = [...stopLines, stopped.status === "succeeded" ? stopped.output : ""].join("\n");
    expect(recorded).toContain(
      "before this run: pg was read-only already (set in ALTER SYSTEM (postgresql.auto.conf)): its undo leaves it so",
    );

    const undoLines: string[] = [];
    expect(await dbReadWriteStep.execute({ ...ctx(undoLines), recordedOutput: recorded }, onPrimary)).toEqual(
      { status: "succeeded", output: "writes back on in dc1" },
    );
    expect(undoLines).toContain(
      "pg: left read-only in dc1: it was before this run (set in ALTER SYSTEM (postgresql.auto.conf))",
    );
    expect(await acceptsWrites(pair, "primary")).toBe(false);
  });

  it("a server the run made read-only is given its writes back: the note says it took writes before", async () => {
    const stopLines: string[] = [];
    await dbReadOnlyStep.execute(ctx(stopLines), { ...onPrimary, whenUnreachable: "fail" });
    expect(stopLines).toContain("before this run: pg took writes");
    await dbReadWriteStep.execute({ ...ctx(), recordedOutput: stopLines.join("\n") }, onPrimary);
    expect(await acceptsWrites(pair, "primary")).toBe(true);
  });

  it("fails at once, saying where, when postgresql.conf makes the server read-only: ALTER SYSTEM RESET cannot lift it", async () => {
    await dbReadOnlyStep.execute(ctx(), { ...onPrimary, whenUnreachable: "fail" });
    await appendFile(join(pair.primary.dataDir, "postgresql.conf"), "\ndefault_transaction_read_only = on\n");

    const result = await dbReadWriteStep.execute(ctx(), onPrimary);

    expect(result.status).toBe("failed");
    expect(result.status === "failed" && result.error).toMatch(
      /: default_transaction_read_only = on is set in \/.*\/postgresql\.conf line \d+, which ALTER SYSTEM RESET does not lift: remove it there and reload/,
    );
    expect(await acceptsWrites(pair, "primary")).toBe(false);
  });
});
