import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { Redis } from "ioredis";
import { childEnvironment, type NamedVariables } from "../config/environment.js";

/**
 * A redis-server of the demo's own: 127.0.0.1, a free port, a temporary directory, nothing saved.
 * Resolves once it answers PING (10 s at most). When redis-server is not installed the answer says
 * so, with the command that installs it, instead of throwing: the demo then runs on the in-memory
 * store.
 */
export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  "redis-server is not installed; install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)";

const START_DEADLINE_MS = 10_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

/** `env` is where redis-server is looked for (its PATH); redis-server gets its allow-listed part only. */
export async function startLocalRedis(
  env: NamedVariables,
): Promise<{ redis: LocalRedis } | { missing: string }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "drbot-demo-redis-"));
  const child = execa(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    {
      stdin: "ignore",
      all: true,
      reject: false,
      cleanup: true,
      env: childEnvironment(env),
      extendEnv: false,
    },
  );
  let exited: { code?: string; exitCode?: number; all?: string } | undefined;
  void child.then((result) => {
    exited = {
      ...(result.code ? { code: result.code } : {}),
      exitCode: result.exitCode ?? -1,
      all: String(result.all ?? ""),
    };
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await child;
    await rm(dir, { recursive: true, force: true });
  };
  const probe = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    commandTimeout: 500,
    connectTimeout: 500,
  });
  // Refused connections are expected until redis-server listens; the last one says why it never did.
  let lastError: unknown;
  probe.on("error", (error: unknown) => {
    lastError = error;
  });
  const deadline = Date.now() + START_DEADLINE_MS;
  try {
    for (;;) {
      if (exited) {
        await rm(dir, { recursive: true, force: true });
        if (exited.code === "ENOENT") return { missing: REDIS_INSTALL_HINT };
        throw new Error(
          `redis-server stopped while starting (exit ${exited.exitCode}): ${exited.all?.slice(-500)}`,
        );
      }
      try {
        if (probe.status !== "ready") await probe.connect();
        if ((await probe.ping()) === "PONG") return { redis: { url: `redis://127.0.0.1:${port}`, stop } };
      } catch (error) {
        lastError = error;
        probe.disconnect();
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${START_DEADLINE_MS} ms`, {
          cause: lastError,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    probe.disconnect();
  }
}
