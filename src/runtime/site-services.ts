import { KubernetesSite } from "../adapters/kubernetes/kubernetes-site.js";
import { LonghornSite } from "../adapters/longhorn/longhorn-site.js";
import { VeleroSite } from "../adapters/velero/velero-site.js";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import type { LonghornPort, LonghornServices } from "../ports/longhorn.js";
import type { KubernetesServices, SitePort } from "../ports/site.js";
import type { VeleroPort, VeleroServices } from "../ports/velero.js";

/*
 * The per-site adapters the runtime hands to steps, the watcher and the readings: each built on
 * first use, so a missing or broken kubeconfig fails the step or reading that needs it, not start-up.
 */

/** Sites built on first use, so a missing kubeconfig fails the step that needs it, not start-up. */
export function kubernetesSites(config: Config): KubernetesServices {
  const built = new Map<string, SitePort>();
  return {
    site(name) {
      const found = built.get(name);
      if (found) return found;
      const site = config.sites.find((s) => s.name === name);
      if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
      const created = new KubernetesSite(site);
      built.set(name, created);
      return created;
    },
  };
}

/** Velero per site and namespace, built on first use like the sites. */
export function veleroSites(config: Config): VeleroServices {
  const built = new Map<string, VeleroPort>();
  return {
    velero(name, namespace = "velero") {
      const key = `${name}/${namespace}`;
      const found = built.get(key);
      if (found) return found;
      const site = config.sites.find((s) => s.name === name);
      if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
      const created = new VeleroSite(site, { namespace });
      built.set(key, created);
      return created;
    },
  };
}

/** Longhorn per site, built on first use like the sites (a bad kubeconfig fails the step or reading). */
export function longhornSites(config: Config): LonghornServices {
  const built = new Map<string, LonghornPort>();
  return {
    site(name) {
      const found = built.get(name);
      if (found) return found;
      const site = config.sites.find((s) => s.name === name);
      if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
      const created = new LonghornSite(site);
      built.set(name, created);
      return created;
    },
  };
}
