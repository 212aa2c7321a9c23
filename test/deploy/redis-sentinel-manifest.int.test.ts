import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SentinelSet, startSentinelSet } from "../support/redis-sentinel.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped Redis and Sentinel configuration (deploy/kubernetes/redis-sentinel.yaml), run for
 * real: its own start scripts start a master, a replica and three Sentinels on loopback. Anyone who
 * can reach these ports on the cluster network, but has no password, must not be able to point
 * drbot at a server of their own or read its state.
 *
 * What it cannot show: the NetworkPolicies (no CNI here; manifests.test.ts checks what they admit).
 */
let set: SentinelSet;
const clients: Redis[] = [];

beforeAll(async () => {
  set = await startSentinelSet();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await set?.stop();
});

/** A client with no password, or the one given, and no retries. */
function connect(port: number, password?: string): Redis {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    ...(password ? { password } : {}),
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

/** Sends one command on a fresh connection and returns the server's answer, error or not, as text. */
async function answer(port: number, password: string | undefined, ...command: string[]): Promise<string> {
  const client = connect(port, password);
  try {
    return String(await client.call(command[0]!, ...command.slice(1)));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

describe("the shipped Sentinel configuration", () => {
  it("refuses SENTINEL MONITOR, SET, FAILOVER and RESET from a client without the Sentinel password", async () => {
    const master = await set.master();
    for (const { port } of set.sentinels) {
      expect(await answer(port, undefined, "SENTINEL", "MONITOR", "evil", "127.0.0.1", "6399", "1")).toMatch(
        /^NOAUTH/,
      );
      expect(await answer(port, undefined, "SENTINEL", "SET", set.name, "auth-pass", "x")).toMatch(/^NOAUTH/);
      expect(await answer(port, undefined, "SENTINEL", "FAILOVER", set.name)).toMatch(/^NOAUTH/);
      expect(await answer(port, undefined, "SENTINEL", "RESET", "*")).toMatch(/^NOAUTH/);
      expect(await answer(port, undefined, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", set.name)).toMatch(
        /^NOAUTH/,
      );
      expect(
        await answer(
          port,
          "not-the-sentinel-password",
          "SENTINEL",
          "MONITOR",
          "evil",
          "127.0.0.1",
          "6399",
          "1",
        ),
      ).toMatch(/^WRONGPASS/);
    }
    expect(await set.master()).toEqual(master);
    const masters = (await set.sentinelClient().call("SENTINEL", "MASTERS")) as string[][];
    expect(masters.map((m) => m[m.indexOf("name") + 1])).toEqual([set.name]);
  });

  it("runs Sentinel commands for a client with the Sentinel password", async () => {
    expect(
      await answer(set.sentinels[0]!.port, set.sentinelPassword, "SENTINEL", "CKQUORUM", set.name),
    ).toMatch(/^OK 3 usable Sentinels/);
  });

  it("refuses REPLICAOF, CONFIG SET and reads on Redis from a client without the Redis password", async () => {
    const master = await set.master();
    expect(await answer(master.port, undefined, "REPLICAOF", "127.0.0.1", "6399")).toMatch(/^NOAUTH/);
    expect(await answer(master.port, undefined, "CONFIG", "SET", "requirepass", "")).toMatch(/^NOAUTH/);
    expect(await answer(master.port, undefined, "GET", "drbot:runs:index")).toMatch(/^NOAUTH/);
    // The Sentinel password is not the Redis password.
    expect(await answer(master.port, set.sentinelPassword, "PING")).toMatch(/^WRONGPASS/);
    expect(await answer(master.port, set.password, "PING")).toBe("PONG");
  });

  it("promotes the replica when the master dies, and the old master's start script makes it rejoin as a replica", async () => {
    const old = await set.killMaster();
    const promoted = await set.waitForNewMaster(old.port);
    expect(promoted.port).not.toBe(old.port);

    await old.start();
    // A fresh connection each time: Sentinel ends the clients of a server it reconfigures
    // (CLIENT KILL TYPE normal), so one kept across the rejoin may be closed under the test.
    const replication = async () => answer(old.port, set.password, "INFO", "replication");
    await waitFor(async () => /master_link_status:up/.test(await replication()), {
      timeoutMs: 20_000,
      description: "the old master to replicate from the promoted one",
    });
    const info = await replication();
    expect(info).toMatch(/role:slave/);
    expect(info).toContain(`master_port:${promoted.port}`);
    expect(await set.master()).toEqual(promoted);
  });
});
