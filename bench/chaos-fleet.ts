import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { SentinelSet } from "../test/support/redis-sentinel.js";
import { startTcpProxy, type TcpProxy } from "../test/support/tcp-proxy.js";
import { wallNow } from "./chaos-steps.js";

/**
 * The chaos benchmark's executors: each a real process (bench/chaos-executor.ts on the project's
 * Node with tsx) that reaches the Sentinels directly and every Redis server through a TCP proxy of
 * its own (REDIS_SENTINEL_ADDRESS_MAP), so one executor can be cut off from Redis while it lives
 * (every proxy of it blackholed: nothing moves, nothing is closed) and the path healed later.
 */
export interface Executor {
  readonly owner: string;
  readonly pid: number;
  readonly alive: boolean;
  /** Connected to Redis and supervising (it said so). */
  readonly ready: boolean;
  readonly partitioned: boolean;
  /** SIGKILL: nothing flushed, no lease released. Resolves once the process is gone. */
  kill(): Promise<void>;
  partition(): void;
  heal(): void;
}

export interface FleetOptions {
  set: SentinelSet;
  dir: string;
  prefix: string;
  leaseTtlMs: number;
  superviseMs: number;
  commandTimeoutMs: number;
}

export interface Fleet {
  start(): Promise<Executor>;
  /** Executors started so far, dead or alive. */
  readonly all: readonly Executor[];
  /** Kills every executor still running and stops every proxy. */
  stop(): Promise<void>;
}

const ENTRY = new URL("./chaos-executor.ts", import.meta.url).pathname;

export function executorFleet(o: FleetOptions): Fleet {
  const all: Executor[] = [];
  const proxies: TcpProxy[] = [];
  const start = async (): Promise<Executor> => {
    const index = all.length;
    const owner = `executor-${index}`;
    const mine: TcpProxy[] = [];
    for (const node of o.set.nodes) mine.push(await startTcpProxy({ port: node.port }));
    proxies.push(...mine);
    const map = o.set.nodes.map((n, i) => `127.0.0.1:${n.port}=127.0.0.1:${mine[i]!.port}`).join(",");
    const child: ResultPromise = execa(process.execPath, ["--import", "tsx", ENTRY, o.dir], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        REDIS_SENTINELS: o.set.sentinels.map((s) => `${s.host}:${s.port}`).join(","),
        REDIS_SENTINEL_NAME: o.set.name,
        REDIS_PASSWORD: o.set.password,
        REDIS_SENTINEL_PASSWORD: o.set.sentinelPassword,
        REDIS_SENTINEL_ADDRESS_MAP: map,
        CHAOS_DIR: o.dir,
        CHAOS_OWNER: owner,
        CHAOS_PREFIX: o.prefix,
        CHAOS_LEASE_TTL_MS: String(o.leaseTtlMs),
        CHAOS_SUPERVISE_MS: String(o.superviseMs),
        CHAOS_COMMAND_TIMEOUT_MS: String(o.commandTimeoutMs),
      },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      stdout: "pipe",
      stderr: { file: join(o.dir, `${owner}.log`) },
    });
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    let cut = false;
    let ready = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("supervising")) ready = true;
    });
    const executor: Executor = {
      owner,
      pid: child.pid ?? -1,
      get alive() {
        return !exited;
      },
      get ready() {
        return ready && !exited;
      },
      get partitioned() {
        return cut;
      },
      async kill() {
        if (!exited) child.kill("SIGKILL");
        await child;
      },
      partition() {
        cut = true;
        for (const p of mine) p.blackhole();
      },
      heal() {
        cut = false;
        for (const p of mine) p.restore();
      },
    };
    all.push(executor);
    return executor;
  };
  return {
    start,
    get all() {
      return all;
    },
    async stop() {
      await Promise.all(all.map((e) => e.kill()));
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}

/** When an executor stopped serving its runs: killed, or cut off from Redis. */
export interface Death {
  owner: string;
  how: "kill" | "partition";
  t: number;
  /** When the partition healed (partitions only). */
  healedAt?: number;
}

export function death(owner: string, how: Death["how"]): Death {
  return { owner, how, t: wallNow() };
}
