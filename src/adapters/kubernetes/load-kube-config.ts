import { existsSync } from "node:fs";
import type { SiteConfig } from "../../domain/config.js";
import { KubeError } from "./kube-error.js";
import { PooledKubeConfig } from "./pooled-kube-config.js";

/**
 * One KubeConfig per site, fixed to the site's context. Never share one KubeConfig between sites and
 * switch contexts: client-node reads the current context's credentials at request time, so a
 * switch would send one site's credentials to the other (client-node issues #871, #977).
 *
 * Throws KubeError (code invalid_config) naming the file and the context when the file is missing
 * or unreadable, or the context (or the cluster or user it names) is not in it.
 */
export function loadKubeConfig(
  site: SiteConfig,
  options: { kubeconfigPath?: string } = {},
): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  if (site.kubeconfig.inCluster) {
    try {
      kc.loadFromCluster();
    } catch (error) {
      throw invalid(site.name, "load the in-cluster service account", reasonOf(error));
    }
    return kc;
  }
  const file = options.kubeconfigPath ?? site.kubeconfig.path;
  const wanted = site.kubeconfig.context;
  const what = `load kubeconfig ${file ?? "(default: $KUBECONFIG or ~/.kube/config)"}${wanted ? ` (context "${wanted}")` : ""}`;
  if (file && !existsSync(file)) throw invalid(site.name, what, "the file does not exist");
  try {
    // Without a path, kubectl's default lookup applies (a site given only by context).
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (error) {
    throw invalid(site.name, what, `the file is not a valid kubeconfig (${reasonOf(error)})`);
  }
  const contextName = wanted ?? kc.getCurrentContext();
  const context = contextName ? kc.getContextObject(contextName) : null;
  if (!context) {
    const known = kc.getContexts().map((c) => c.name);
    throw invalid(
      site.name,
      what,
      contextName
        ? `it has no context "${contextName}" (it has: ${known.join(", ") || "none"})`
        : "no context given and the file has no current-context",
    );
  }
  if (!kc.getCluster(context.cluster))
    throw invalid(
      site.name,
      what,
      `context "${contextName}" names cluster "${context.cluster}", which is not in the file`,
    );
  if (context.user && !kc.getUser(context.user))
    throw invalid(
      site.name,
      what,
      `context "${contextName}" names user "${context.user}", which is not in the file`,
    );
  kc.setCurrentContext(contextName);
  return kc;
}

function invalid(site: string, operation: string, detail: string): KubeError {
  return new KubeError("invalid", { site, operation }, detail, { code: "invalid_config" });
}

/** The library's reason without the file excerpt YAML errors carry (it could hold a credential). */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").slice(0, 200);
}
