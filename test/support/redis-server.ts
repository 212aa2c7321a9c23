import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { waitFor } from "./wait-for.js";

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the server on the same port and directory (with AOF, nothing is lost). */
  restart(): Promise<void>;
}

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

/** Starts a real redis-server on 127.0.0.1 with a free port and a temporary directory. */
export async function startRedisServer(options: { appendOnly?: boolean } = {}): Promise<RedisServer> {
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
    "--protected-mode",
    "yes",
    ...(options.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  ];
  let child: ResultPromise | undefined;
  const start = async () => {
    let exited: string | undefined;
    child = execa("redis-server", args, { reject: false, stdio: "ignore" });
    child.then(
      (r) => {
        exited = r.failed ? (r.code ?? String(r.exitCode)) : String(r.exitCode);
      },
      () => undefined,
    );
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: 500,
    });
    probe.on("error", () => undefined);
    await waitFor(
      async () => {
        if (exited !== undefined)
          throw new Error(
            `redis-server stopped at start (${exited}); is it installed? apt-get install -y redis-server`,
          );
        try {
          if (probe.status !== "ready") await probe.connect();
          return (await probe.ping()) === "PONG";
        } catch {
          probe.disconnect();
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 25, description: `redis-server on port ${port}` },
    ).finally(() => probe.disconnect());
  };
  const stopChild = async () => {
    if (!child) return;
    child.kill("SIGTERM");
    await child;
    child = undefined;
  };
  await start().catch((error: Error) => {
    if (/ENOENT/.test(String(error)))
      throw new Error("redis-server is not installed: apt-get install -y redis-server");
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild();
      await start();
    },
  };
}
