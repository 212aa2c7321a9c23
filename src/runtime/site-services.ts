import { KubernetesInventory } from "../adapters/kubernetes/kubernetes-inventory.js";
import { KubernetesSite } from "../adapters/kubernetes/kubernetes-site.js";
import { LonghornSite } from "../adapters/longhorn/longhorn-site.js";
import { VeleroSite } from "../adapters/velero/velero-site.js";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import type { LonghornPort, LonghornServices } from "../ports/longhorn.js";
import type { KubernetesServices, SitePort } from "../ports/site.js";
import type { SiteInventories, SiteInventory } from "../ports/site-inventory.js";
import type { VeleroPort, VeleroServices } from "../ports/velero.js";

/*
 * The per-site adapters the runtime hands to steps, the watcher and the readings: each built on
 * first use, so a missing or broken kubeconfig fails the step or reading that needs it, not start-up.
 */

/**
 * One adapter per key, built on first use from the named site's configuration; an unknown site is
 * refused like a bad input, since a step names it.
 */
function builtOnFirstUse<T>(config: Config) {
  const built = new Map<string, T>();
  return (name: string, key: string, build: (site: Config["sites"][number]) => T): T => {
    const found = built.get(key);
    if (found) return found;
    const site = config.sites.find((s) => s.name === name);
    if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
    const created = build(site);
    built.set(key, created);
    return created;
  };
}

/** Sites built on first use, so a missing kubeconfig fails the step that needs it, not start-up. */
export function kubernetesSites(config: Config): KubernetesServices {
  const get = builtOnFirstUse<SitePort>(config);
  return { site: (name) => get(name, name, (site) => new KubernetesSite(site)) };
}

/** Velero per site and namespace, built on first use like the sites. */
export function veleroSites(config: Config): VeleroServices {
  const get = builtOnFirstUse<VeleroPort>(config);
  return {
    velero: (name, namespace = "velero") =>
      get(name, `${name}/${namespace}`, (site) => new VeleroSite(site, { namespace })),
  };
}

/** Longhorn per site, built on first use like the sites (a bad kubeconfig fails the step or reading). */
export function longhornSites(config: Config): LonghornServices {
  const get = builtOnFirstUse<LonghornPort>(config);
  return { site: (name) => get(name, name, (site) => new LonghornSite(site)) };
}

/** What the readiness checks read of each site, built on first use like the sites. */
export function kubernetesInventories(config: Config): SiteInventories {
  const get = builtOnFirstUse<SiteInventory>(config);
  return { inventory: (name) => get(name, name, (site) => new KubernetesInventory(site)) };
}
