import { Worker } from "node:worker_threads";
import type { SiteConfig } from "../../domain/config.js";
import { DrError, type DrErrorCode } from "../../domain/errors.js";
import type { CrdState, NamespaceObjects } from "../../domain/readiness/site-objects.js";
import type { NodeState } from "../../domain/site-health.js";
import type { RequestOptions } from "../../ports/site.js";
import type { SiteInventories, SiteInventory } from "../../ports/site-inventory.js";

export type InventoryRequest =
  | { type: "read"; id: number; site: string; what: "namespace" | "crds" | "nodes"; namespace?: string }
  | { type: "abort"; id: number };

export type InventoryReply =
  | { id: number; value: unknown }
  | { id: number; error: { code: DrErrorCode; message: string; details: Record<string, unknown> } };

/**
 * The sites' inventories read in a worker thread (inventory-worker.ts), so that parsing and
 * compacting hundreds of objects per round never holds up the event loop that answers `/dr status`
 * and Slack while a readiness round runs. Same contract as KubernetesInventory: each read has the
 * site's deadline (applied in the worker), the caller's signal aborts it there, failures are the
 * DrError the inventory threw. The worker starts on first use and stops once no read has been asked
 * of it for IDLE_MS (between rounds), so it never keeps a process alive or holds connections idle.
 */
const IDLE_MS = 5_000;

export class WorkerInventories implements SiteInventories {
  private worker: Worker | undefined;
  private nextId = 0;
  private idle: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();

  constructor(private readonly sites: readonly SiteConfig[]) {}

  inventory(site: string): SiteInventory {
    if (!this.sites.some((s) => s.name === site))
      throw new DrError("invalid_input", `no site named "${site}"`);
    const read = <T>(what: "namespace" | "crds" | "nodes", options?: RequestOptions, namespace?: string) =>
      this.read(site, what, options, namespace) as Promise<T>;
    return {
      name: site,
      readNamespace: (namespace, options) => read<NamespaceObjects>("namespace", options, namespace),
      listCrds: (options) => read<CrdState[]>("crds", options),
      listNodes: (options) => read<NodeState[]>("nodes", options),
    };
  }

  /** Stops the worker (the process's shutdown); reads still waiting are refused. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private async stopIfIdle(): Promise<void> {
    if (this.waiting.size === 0) await this.close();
  }

  private read(
    site: string,
    what: "namespace" | "crds" | "nodes",
    options: RequestOptions | undefined,
    namespace?: string,
  ): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted)
      return Promise.reject(new DrError("timeout", `${site}: not read, the round was cut`, { site }));
    const worker = this.started();
    clearTimeout(this.idle);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: "abort", id } satisfies InventoryRequest);
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        this.waiting.delete(id);
        if (this.waiting.size === 0) {
          clearTimeout(this.idle);
          this.idle = setTimeout(() => void this.stopIfIdle(), IDLE_MS);
          this.idle.unref();
        }
      };
      this.waiting.set(id, {
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      worker.postMessage({
        type: "read",
        id,
        site,
        what,
        ...(namespace !== undefined ? { namespace } : {}),
      } satisfies InventoryRequest);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const entry = new URL(
      `./inventory-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
      import.meta.url,
    );
    // Under tsx (development, tests, benchmarks) the worker loads TypeScript the same way.
    const worker = new Worker(entry, {
      workerData: { sites: this.sites },
      ...(import.meta.url.endsWith(".ts") ? { execArgv: ["--import", "tsx"] } : {}),
    });
    worker.unref();
    worker.on("message", (reply: InventoryReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      if ("error" in reply)
        waiter.reject(new DrError(reply.error.code, reply.error.message, reply.error.details));
      else waiter.resolve(reply.value);
    });
    const fail = (error: unknown) => {
      // Every read waiting is refused with why; the next read starts a new worker.
      this.worker = undefined;
      for (const waiter of this.waiting.values())
        waiter.reject(
          new DrError("unavailable", `the inventory worker stopped: ${String(error)}`, {}, { cause: error }),
        );
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (this.worker === worker) fail(new Error(`exit code ${code}`));
    });
    this.worker = worker;
    return worker;
  }
}
