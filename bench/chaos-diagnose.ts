import { Redis } from "ioredis";
import type { SentinelSet } from "../test/support/redis-sentinel.js";

/**
 * What the chaos benchmark prints when runs did not settle: who holds each stuck run's lease and
 * for how long yet, whom each Sentinel names master, and each Redis server's role.
 */
export async function diagnose(
  set: SentinelSet,
  prefix: string,
  stuck: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  const ask = async <T>(
    port: number,
    password: string,
    call: (r: Redis) => Promise<T>,
  ): Promise<T | string> => {
    const r = new Redis({
      host: "127.0.0.1",
      port,
      password,
      lazyConnect: true,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on("error", () => undefined);
    try {
      await r.connect();
      return await call(r);
    } catch (error) {
      return `no answer (${String(error)})`;
    } finally {
      r.disconnect();
    }
  };
  for (const s of set.sentinels)
    out.push(
      `sentinel ${s.port} names ${JSON.stringify(await ask(s.port, set.sentinelPassword, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", set.name)))}`,
    );
  for (const n of set.nodes) {
    const info = await ask(n.port, set.password, (r) => r.info("replication"));
    const fields =
      typeof info === "string"
        ? info
            .split("\r\n")
            .filter((l) => /^(role|master_port|master_link_status|connected_slaves):/.test(l))
            .join(" ")
        : info;
    out.push(`redis ${n.port} (${n.running ? "running" : "stopped"}): ${fields}`);
  }
  const { port } = await set.master();
  for (const id of stuck) {
    const key = `${prefix}run:{${id}}:lease`;
    const held = await ask(
      port,
      set.password,
      async (r) => `${await r.get(key)} for ${await r.pttl(key)} ms`,
    );
    out.push(`lease of ${id}: ${held}`);
  }
  return out;
}
