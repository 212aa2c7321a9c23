import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Result, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { parseAllDocuments } from "yaml";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/**
 * A real Redis set behind Sentinel on 127.0.0.1, started by the very scripts the shipped manifest
 * runs (deploy/kubernetes/redis-sentinel.yaml, ConfigMap redis-sentinel-scripts), with the
 * manifest's names overridden for loopback: a master, a replica and three Sentinels (quorum 2), each
 * on a free port and in a temporary directory, with a Redis password and a Sentinel password.
 * Every process dies with the test process (execa's cleanup) and `stop()` removes the directories.
 *
 * What it cannot show: Kubernetes itself (DNS names, restarts by the kubelet, volumes); the hosts
 * are all 127.0.0.1.
 */
export interface SentinelSet {
  /** The Sentinels' master name. */
  readonly name: string;
  readonly password: string;
  readonly sentinelPassword: string;
  readonly sentinels: { host: string; port: number }[];
  readonly nodes: RedisNode[];
  /** The master the Sentinels name now. */
  master(): Promise<{ host: string; port: number }>;
  /** SIGKILLs the current master (no shutdown, nothing flushed) and returns it. */
  killMaster(): Promise<RedisNode>;
  /** Waits until the Sentinels name a master other than `port` and it answers as master. */
  waitForNewMaster(port: number, timeoutMs?: number): Promise<{ host: string; port: number }>;
  /**
   * Waits until every running replica has received everything the master has written so far.
   * Replication is asynchronous: a write the master acknowledged just before it died may not have
   * reached the replica, and is then lost with it; tests that mean "writes the replica had" say so
   * with this.
   */
  waitForReplicasInSync(timeoutMs?: number): Promise<void>;
  /** An authenticated client of one Sentinel, for tests that look inside. */
  sentinelClient(index?: number): Redis;
  stop(): Promise<void>;
}

export interface RedisNode {
  readonly port: number;
  readonly running: boolean;
  kill(): Promise<void>;
  /** Starts it again through the shipped script: it rejoins as a replica of the current master. */
  start(): Promise<void>;
}

const MANIFEST = "deploy/kubernetes/redis-sentinel.yaml";
const START_DEADLINE_MS = 15_000;

/** The shipped scripts, as the ConfigMap mounts them at /scripts. */
export async function shippedSentinelScripts(): Promise<Record<string, string>> {
  const docs = parseAllDocuments(await readFile(MANIFEST, "utf8")).map(
    (d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> },
  );
  const scripts = docs.find((d) => d.kind === "ConfigMap" && d.metadata?.name === "redis-sentinel-scripts");
  if (!scripts?.data) throw new Error(`${MANIFEST} has no ConfigMap redis-sentinel-scripts`);
  return scripts.data;
}

export async function startSentinelSet(
  options: { downAfterMs?: number; failoverTimeoutMs?: number } = {},
): Promise<SentinelSet> {
  const root = await mkdtemp(join(tmpdir(), "drbot-sentinel-"));
  const scriptsDir = join(root, "scripts");
  await mkdir(scriptsDir);
  for (const [file, text] of Object.entries(await shippedSentinelScripts()))
    await writeFile(join(scriptsDir, file), text, { mode: 0o755 });

  const name = "drbot";
  const password = `redis-pass-${Math.random().toString(36).slice(2, 10)}`;
  const sentinelPassword = `sentinel-pass-${Math.random().toString(36).slice(2, 10)}`;
  const redisPorts = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const common = {
    REDIS_PASSWORD: password,
    REDIS_SENTINEL_PASSWORD: sentinelPassword,
    MASTER_NAME: name,
    FIRST_MASTER: `127.0.0.1:${redisPorts[0]}`,
    SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(" "),
    BIND: "127.0.0.1",
    SELF_HOST: "127.0.0.1",
    POD_NAME: "test",
  };
  const processes: ManagedProcess[] = [];
  const clients: Redis[] = [];

  const nodes: RedisNode[] = [];
  try {
    for (const [i, port] of redisPorts.entries()) {
      const dir = join(root, `redis-${i}`);
      await mkdir(dir);
      const proc = managedProcess(join(scriptsDir, "redis.sh"), {
        ...common,
        REDIS_PORT: String(port),
        DATA_DIR: dir,
      });
      processes.push(proc);
      await proc.start(() => answers(port, password));
      nodes.push({
        port,
        get running() {
          return proc.running;
        },
        kill: () => proc.kill("SIGKILL"),
        start: () => proc.start(() => answers(port, password)),
      });
    }
    await waitFor(async () => (await replicationRole(redisPorts[1]!, password)) === "slave:up", {
      timeoutMs: START_DEADLINE_MS,
      description: "the replica to be in sync with the master",
    });
    for (const [i, port] of sentinelPorts.entries()) {
      const dir = join(root, `sentinel-${i}`);
      await mkdir(dir);
      const proc = managedProcess(join(scriptsDir, "sentinel.sh"), {
        ...common,
        SENTINEL_PORT: String(port),
        DATA_DIR: dir,
        DOWN_AFTER_MS: String(options.downAfterMs ?? 1_000),
        FAILOVER_TIMEOUT_MS: String(options.failoverTimeoutMs ?? 5_000),
      });
      processes.push(proc);
      await proc.start(() => answers(port, sentinelPassword));
    }
  } catch (error) {
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const sentinelClient = (index = 0) => {
    const client = new Redis({
      host: "127.0.0.1",
      port: sentinelPorts[index]!,
      password: sentinelPassword,
      commandTimeout: 2_000,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    client.on("error", () => undefined);
    clients.push(client);
    return client;
  };
  const master = async () => {
    for (const port of sentinelPorts) {
      const reply = (await askSentinel(port, sentinelPassword, name).catch(() => undefined)) ?? undefined;
      if (reply) return reply;
    }
    throw new Error("no Sentinel names a master");
  };
  const set: SentinelSet = {
    name,
    password,
    sentinelPassword,
    sentinels: sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
    nodes,
    master,
    sentinelClient,
    async killMaster() {
      const { port } = await master();
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`the master on ${port} is not one of this set's servers`);
      await node.kill();
      return node;
    },
    async waitForNewMaster(port, timeoutMs = 30_000) {
      let named: { host: string; port: number } | undefined;
      await waitFor(
        async () => {
          named = await master().catch(() => undefined);
          return (
            named !== undefined &&
            named.port !== port &&
            (await replicationRole(named.port, password)) === "master"
          );
        },
        { timeoutMs, intervalMs: 50, description: `the Sentinels to promote a replica in place of ${port}` },
      );
      return named!;
    },
    async waitForReplicasInSync(timeoutMs = 10_000) {
      const { port } = await master();
      const written = await replicationOffset(port, password, "master_repl_offset");
      const replicas = nodes.filter((n) => n.running && n.port !== port);
      await waitFor(
        async () => {
          for (const r of replicas)
            if ((await replicationOffset(r.port, password, "slave_repl_offset")) < written) return false;
          return true;
        },
        { timeoutMs, intervalMs: 10, description: `the replicas to reach offset ${written}` },
      );
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await Promise.all(processes.map((p) => p.kill("SIGTERM")));
      await rm(root, { recursive: true, force: true });
    },
  };
  await waitFor(async () => (await sentinelsKnowingEachOther(set)) === sentinelPorts.length, {
    timeoutMs: START_DEADLINE_MS,
    intervalMs: 50,
    description: "the three Sentinels to find each other and the replica",
  });
  return set;
}

/** How many Sentinels see the two others and the replica (a failover needs them to). */
async function sentinelsKnowingEachOther(set: SentinelSet): Promise<number> {
  let ready = 0;
  for (const { port } of set.sentinels) {
    const client = oneShot(port, set.sentinelPassword);
    try {
      const master = (await client.call("SENTINEL", "MASTER", set.name)) as string[];
      const field = (key: string) => Number(master[master.indexOf(key) + 1]);
      if (field("num-other-sentinels") >= set.sentinels.length - 1 && field("num-slaves") >= 1) ready++;
    } catch {
      // Not up yet; counted on the next look.
    } finally {
      client.disconnect();
    }
  }
  return ready;
}

async function askSentinel(
  port: number,
  password: string,
  name: string,
): Promise<{ host: string; port: number } | undefined> {
  const client = oneShot(port, password);
  try {
    const reply = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[] | null;
    return reply ? { host: reply[0]!, port: Number(reply[1]) } : undefined;
  } finally {
    client.disconnect();
  }
}

/** "master", "slave:up" (replica with its link up), "slave:down", or "" when it does not answer. */
async function replicationRole(port: number, password: string): Promise<string> {
  const client = oneShot(port, password);
  try {
    const info = await client.info("replication");
    const role = /role:(\w+)/.exec(info)?.[1] ?? "";
    if (role !== "slave") return role;
    return `slave:${/master_link_status:(\w+)/.exec(info)?.[1] ?? "down"}`;
  } catch {
    return "";
  } finally {
    client.disconnect();
  }
}

async function replicationOffset(port: number, password: string, field: string): Promise<number> {
  const client = oneShot(port, password);
  try {
    const info = await client.info("replication");
    return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? -1);
  } catch {
    return -1;
  } finally {
    client.disconnect();
  }
}

async function answers(port: number, password: string): Promise<boolean> {
  const client = oneShot(port, password);
  try {
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function oneShot(port: number, password: string): Redis {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    password,
    lazyConnect: false,
    connectTimeout: 500,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  return client;
}

interface ManagedProcess {
  readonly running: boolean;
  start(ready: () => Promise<boolean>): Promise<void>;
  kill(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** One shipped script run with `sh` (it execs redis-server), restartable. */
function managedProcess(script: string, env: Record<string, string>): ManagedProcess {
  let child: ResultPromise<{ all: true; reject: false; stdin: "ignore" }> | undefined;
  let exited: Result | undefined;
  return {
    get running() {
      return child !== undefined && exited === undefined;
    },
    async start(ready) {
      exited = undefined;
      const started = execa("sh", [script], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        extendEnv: false,
        all: true,
        reject: false,
        stdin: "ignore",
      });
      child = started;
      void started.then((result) => {
        if (child === started) exited = result;
      });
      await waitFor(
        async () => {
          if (exited) throw new Error(whyItStopped(script, exited));
          return ready();
        },
        { timeoutMs: START_DEADLINE_MS, intervalMs: 25, description: `${script} to answer` },
      );
    },
    async kill(signal) {
      const running = child;
      if (!running || exited) return;
      running.kill(signal);
      await running;
    },
  };
}

function whyItStopped(script: string, result: Result): string {
  const output = typeof result.all === "string" ? result.all.trim().slice(-2_000) : "";
  if (/redis-server: (not found|No such file)/.test(output))
    return "redis-server is not installed (not found on PATH): apt-get install -y redis-server";
  return `${script} stopped while starting (exit ${result.exitCode ?? result.signal}): ${output}`;
}
