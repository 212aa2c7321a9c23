import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerInventories } from "../../../src/adapters/kubernetes/worker-inventories.js";
import { testConfig } from "../../support/config-fixture.js";

/**
 * The inventories read in a worker thread, against local ports: one that accepts and never answers
 * (a hung API server) and one where nothing listens. What travels between the threads is checked:
 * the caller's signal aborts the read in the worker, and the inventory's DrError comes back as one.
 * Reading real objects through the worker is what `npm run bench -- readiness` does on the clusters.
 */
let dir: string;
let hung: Server;
const sockets: Socket[] = [];
let inventories: WorkerInventories;

function kubeconfig(port: number): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "drbot-worker-inventories-"));
  hung = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, "127.0.0.1", resolve));
  const refusedPort = (refused.address() as { port: number }).port;
  await new Promise((resolve) => refused.close(resolve));
  await writeFile(join(dir, "hung"), kubeconfig((hung.address() as { port: number }).port));
  await writeFile(join(dir, "refused"), kubeconfig(refusedPort));
  const config = testConfig({
    sites: [
      {
        name: "dc1",
        role: "primary",
        kubeconfig: { path: join(dir, "hung"), context: "ctx" },
        requestTimeout: "30s",
      },
      { name: "dc2", role: "dr", kubeconfig: { path: join(dir, "refused"), context: "ctx" } },
    ],
  });
  inventories = new WorkerInventories(config.sites);
});
afterAll(async () => {
  await inventories?.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => hung?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("inventories read in a worker thread", () => {
  it("stop a read of a hung API server when the round's signal aborts, long before the site's deadline", async () => {
    const controller = new AbortController();
    const reading = inventories.inventory("dc1").listNodes({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("the round's deadline passed")), 300);
    await expect(reading).rejects.toMatchObject({ name: "DrError" });
  });

  it("give back the inventory's refusal as a DrError naming what it was doing", async () => {
    const error = await inventories
      .inventory("dc2")
      .readNamespace("payments")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: "DrError", code: "unavailable" });
    expect(String((error as Error).message)).toMatch(/payments/);
  });

  it("refuse a site the configuration does not name", () => {
    expect(() => inventories.inventory("dc9")).toThrow(/no site named "dc9"/);
  });
});
