import { parentPort, workerData } from "node:worker_threads";
import type { SiteConfig } from "../../domain/config.js";
import { describeError, isDrError } from "../../domain/errors.js";
import type { SiteInventory } from "../../ports/site-inventory.js";
import { KubernetesInventory } from "./kubernetes-inventory.js";
import type { InventoryReply, InventoryRequest } from "./worker-inventories.js";

/**
 * The readiness reads of every site, in a worker thread (worker-inventories.ts): client-node's
 * parsing of the sites' lists runs here, off the thread that answers people. One KubernetesInventory
 * per site, built on first use; each request can be aborted by its id.
 */
const sites = (workerData as { sites: SiteConfig[] }).sites;
const built = new Map<string, SiteInventory>();
const inFlight = new Map<number, AbortController>();
const port = parentPort;

function inventory(name: string): SiteInventory {
  const found = built.get(name);
  if (found) return found;
  const site = sites.find((s) => s.name === name);
  if (!site) throw new Error(`no site named "${name}"`);
  const created = new KubernetesInventory(site);
  built.set(name, created);
  return created;
}

async function answer(request: Extract<InventoryRequest, { type: "read" }>): Promise<InventoryReply> {
  const controller = new AbortController();
  inFlight.set(request.id, controller);
  const options = { signal: controller.signal };
  try {
    const site = inventory(request.site);
    const value =
      request.what === "namespace"
        ? await site.readNamespace(request.namespace ?? "", options)
        : request.what === "crds"
          ? await site.listCrds(options)
          : await site.listNodes(options);
    return { id: request.id, value };
  } catch (error) {
    // The reader in the main thread turns this back into the DrError the inventory threw.
    return {
      id: request.id,
      error: {
        code: isDrError(error) ? error.code : "unavailable",
        message: describeError(error),
        details: isDrError(error) ? { ...error.details } : {},
      },
    };
  } finally {
    inFlight.delete(request.id);
  }
}

port?.on("message", (request: InventoryRequest) => {
  if (request.type === "abort") return void inFlight.get(request.id)?.abort();
  void answer(request).then((reply) => port.postMessage(reply));
});
