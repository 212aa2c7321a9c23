import { type Config, primarySite } from "./config.js";

/**
 * Where drbot and its Redis run. A DR tool that dies with the primary is no DR tool: when either
 * runs in the primary site, `status` says so. Known from the configuration (`placement`), or
 * detected when drbot runs inside a cluster. Pure: the facts about the process are passed in.
 */
export interface PlacementFacts {
  /** KUBERNETES_SERVICE_HOST is set: drbot runs in a pod. */
  inCluster: boolean;
  /** The site the deployment says it is in (DRBOT_SITE), if set. */
  siteFromEnv?: string;
  /** Hosts drbot reaches Redis at (the URL's, or every Sentinel's). */
  redisHosts: string[];
}

export type PlacementSource = "config" | "in-cluster" | "unknown";

export interface Located {
  site: string | undefined;
  how: PlacementSource;
}

export interface Placement {
  bot: Located;
  redis: Located;
  /** Things that do not add up (configured one way, detected another). */
  notes: string[];
}

/** Kubernetes Service names: a bare name, or one under .svc / .cluster.local, resolve only inside the cluster. */
function isClusterLocal(host: string): boolean {
  if (host === "localhost" || /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(":")) return false;
  return !host.includes(".") || /\.svc(\.cluster\.local)?$/.test(host) || host.endsWith(".cluster.local");
}

export function resolvePlacement(config: Config, facts: PlacementFacts): Placement {
  const notes: string[] = [];
  const known = new Set(config.sites.map((s) => s.name));
  let detected: string | undefined;
  if (facts.inCluster) {
    if (facts.siteFromEnv && known.has(facts.siteFromEnv)) detected = facts.siteFromEnv;
    else {
      if (facts.siteFromEnv)
        notes.push(`DRBOT_SITE names no configured site ("${facts.siteFromEnv.slice(0, 63)}")`);
      // A site reached through the in-cluster service account is the cluster drbot runs in.
      const inCluster = config.sites.filter((s) => s.kubeconfig.inCluster);
      if (inCluster.length === 1) detected = inCluster[0]!.name;
    }
  }
  const configuredBot = config.placement.bot;
  if (configuredBot && detected && configuredBot !== detected)
    notes.push(`placement.bot says ${configuredBot}, but drbot runs in a pod of ${detected}`);
  const bot: Located = detected
    ? { site: detected, how: "in-cluster" }
    : configuredBot
      ? { site: configuredBot, how: "config" }
      : { site: undefined, how: "unknown" };
  const localRedis =
    facts.inCluster && facts.redisHosts.length > 0 && facts.redisHosts.every((h) => isClusterLocal(h));
  const redis: Located = config.placement.redis
    ? { site: config.placement.redis, how: "config" }
    : localRedis && bot.site
      ? { site: bot.site, how: "in-cluster" }
      : { site: undefined, how: "unknown" };
  return { bot, redis, notes };
}

/** What `status` warns about: drbot or its Redis in the primary site, and placement that does not add up. */
export function placementWarnings(config: Config, placement: Placement): string[] {
  const primary = primarySite(config).name;
  const warnings: string[] = [];
  const where = (l: Located) => (l.how === "in-cluster" ? "detected in-cluster" : "from the configuration");
  if (placement.bot.site === primary)
    warnings.push(
      `drbot runs in the primary site ${primary} (${where(placement.bot)}): if ${primary} goes down, drbot goes with it; run it outside ${primary}`,
    );
  if (placement.redis.site === primary)
    warnings.push(
      `drbot's Redis runs in the primary site ${primary} (${where(placement.redis)}): run state would be lost with ${primary}; keep Redis outside ${primary}`,
    );
  return [...warnings, ...placement.notes];
}

/** For status: "dc2 (configured); Redis: dc2 (detected in-cluster)". */
export function describePlacement(placement: Placement): string {
  const one = (l: Located) =>
    l.site ? `${l.site} (${l.how === "config" ? "configured" : "detected in-cluster"})` : "unknown";
  return `${one(placement.bot)}; Redis: ${one(placement.redis)}`;
}
