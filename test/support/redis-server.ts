import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Result, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { waitFor } from "./wait-for.js";

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, no password. */
  url: string;
  port: number;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /**
   * Stops and starts the server on the same port and directory (with `appendOnly`, nothing is lost);
   * `whileDown` runs in between, for a test that looks at what clients do during the outage.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

const INSTALL_HINT = "redis-server is not installed (not found on PATH): apt-get install -y redis-server";
const START_DEADLINE_MS = 10_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts a real redis-server of our own on 127.0.0.1, on a free port, in a temporary directory,
 * and resolves once it answers PING (or fails after 10 s saying why). Nothing is saved to disk
 * unless `appendOnly` is set, which turns on the AOF with an fsync per write so a restart keeps
 * every acknowledged write; `requirePass` makes clients authenticate. The server dies with the
 * test process (execa's cleanup).
 */
export async function startRedisServer(
  options: { appendOnly?: boolean; requirePass?: string } = {},
): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "drbot-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--loglevel",
    "warning",
    ...(options.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(options.requirePass ? ["--requirepass", options.requirePass] : []),
  ];
  let child: ResultPromise<{ stdin: "ignore"; all: true; reject: false }> | undefined;

  const start = async () => {
    let exited: Result | undefined;
    const started = execa("redis-server", args, { stdin: "ignore", all: true, reject: false });
    child = started;
    void started.then((result) => {
      exited = result;
    });
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: 500,
      ...(options.requirePass ? { password: options.requirePass } : {}),
    });
    probe.on("error", () => undefined);
    try {
      await waitFor(
        async () => {
          if (exited) throw new Error(whyItStopped(exited));
          try {
            if (probe.status !== "ready") await probe.connect();
            return (await probe.ping()) === "PONG";
          } catch {
            probe.disconnect();
            return false;
          }
        },
        {
          timeoutMs: START_DEADLINE_MS,
          intervalMs: 25,
          description: `redis-server to answer on port ${port}`,
        },
      );
    } catch (error) {
      await stopChild();
      throw error;
    } finally {
      probe.disconnect();
    }
  };

  const stopChild = async () => {
    const running = child;
    child = undefined;
    if (!running) return;
    running.kill("SIGTERM");
    await running;
  };

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
    async restart(whileDown) {
      await stopChild();
      await whileDown?.();
      await start();
    },
  };
}

function whyItStopped(result: Result): string {
  if (result.code === "ENOENT") return INSTALL_HINT;
  const output = typeof result.all === "string" ? result.all.trim().slice(-2_000) : "";
  return `redis-server stopped while starting (exit ${result.exitCode ?? result.signal}): ${output}`;
}
