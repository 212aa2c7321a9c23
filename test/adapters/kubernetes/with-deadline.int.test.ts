import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PooledKubeConfig } from "../../../src/adapters/kubernetes/pooled-kube-config.js";
import { withDeadline } from "../../../src/adapters/kubernetes/with-deadline.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * A hung API server: a local port that accepts connections, reads what it is sent and never
 * answers. Requests through drbot's pooled kubeconfig fail at their deadline, and what they opened
 * is closed: no request waits behind another's connection, and nothing keeps connecting to the
 * silent server after the callers gave up (undici would otherwise connect again for each request
 * still queued in the pool, one connect timeout of 10 s after the other).
 */
let server: Server;
const open = new Set<Socket>();
let accepted = 0;
let dir: string;
let kc: PooledKubeConfig;

beforeAll(async () => {
  server = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.resume();
    socket.on("close", () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  dir = await mkdtemp(join(tmpdir(), "drbot-hung-"));
  const file = join(dir, "kubeconfig");
  await writeFile(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: hung, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
      "users: [{name: drbot, user: {token: not-a-secret}}]",
      "contexts: [{name: hung, context: {cluster: hung, user: drbot}}]",
      "current-context: hung",
    ].join("\n"),
  );
  kc = new PooledKubeConfig();
  kc.loadFromFile(file);
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await kc.closePools();
  await rm(dir, { recursive: true, force: true });
});

describe("a request to an API server that accepts and never answers", () => {
  it("fails at its deadline, and every connection it opened is closed without another being opened", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const where = { site: "dc1", operation: "list nodes" };
    for (let i = 0; i < 3; i++)
      await expect(withDeadline(where, 300, undefined, (o) => core.listNode({}, o))).rejects.toMatchObject({
        code: "timeout",
      });
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(3);
    // A connection still in its TLS handshake ends by undici's connect timeout (10 s).
    await waitFor(async () => open.size === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: "every connection to the hung server to be closed",
    });
    expect(accepted).toBeLessThanOrEqual(3);
  });
});
