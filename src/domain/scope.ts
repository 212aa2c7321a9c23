import {
  type ApplicationConfig,
  type Config,
  drSite,
  NAME_PATTERN,
  primarySite,
  type RunKind,
} from "./config.js";
import { DrError } from "./errors.js";
import { type RtoBudgets, strictestBudgets } from "./rto-budgets.js";
import type { RunScope, SharedRecord } from "./run.js";
import { homeSite, initialServing, isAway, type Serving } from "./site-state.js";

export interface ScopeOptions {
  /** Which site serves each application now; without it, the initial state (every one at home). */
  serving?: readonly Serving[];
  /**
   * Add the applications that share a DNS record with the scope instead of refusing (`--with-shared`).
   * Only runs that move traffic (failover, failback) care: the others move no record.
   */
  withShared?: boolean;
}

/**
 * Turns what a person typed (`tier1`, `payments reporting`, nothing) into the applications a run
 * touches, and the direction it moves them. Only configured names are accepted; anything else, shell
 * metacharacters included, is refused before it can reach a step.
 *
 * The direction comes from which site serves each application: a failover moves applications from
 * the site serving them (their home) to the DR site, a failback from where they are served back
 * home. A failover of applications already away, a failback of applications already home, and a
 * scope served from different sites are refused, each saying why and what to do instead. A run that
 * moves traffic must also take every application behind the DNS records it moves: the others are
 * named in the refusal, or added with `withShared`. Drills and verify runs go from home to the DR
 * site (see refuseServingStandby for when they may not).
 */
export function resolveScope(
  config: Config,
  targets: readonly string[],
  kind: RunKind,
  options: ScopeOptions = {},
): RunScope {
  const requested = requestedApplications(config, targets);
  const serving = options.serving ?? initialServing(config);
  const movesTraffic = kind === "failover" || kind === "failback";
  const { applications, shared } = movesTraffic
    ? withSharingApplications(config, requested, options.withShared === true)
    : { applications: requested, shared: [] };
  const ordered = config.applications.filter((a) => applications.has(a.name));
  const tiers = new Set(ordered.map((a) => a.tier));
  const [fromSite, toSite] = movesTraffic
    ? direction(
        config,
        kind,
        ordered.map((a) => servingOf(serving, config, a.name)),
      )
    : [primarySite(config).name, drSite(config).name];
  return {
    applications: ordered.map((a) => a.name),
    tiers: config.tiers.filter((t) => tiers.has(t.name)).map((t) => t.name),
    fromSite,
    toSite,
    ...(shared.length > 0 ? { shared } : {}),
  };
}

function requestedApplications(config: Config, targets: readonly string[]): Set<string> {
  const apps = new Set<string>();
  for (const raw of targets) {
    const target = raw.trim();
    if (!NAME_PATTERN.test(target)) {
      throw new DrError("invalid_input", `"${truncate(target)}" is not a tier or application name`, {
        target: truncate(target),
      });
    }
    const tier = config.tiers.find((t) => t.name === target);
    const app = config.applications.find((a) => a.name === target);
    if (tier) {
      for (const a of config.applications.filter((a) => a.tier === tier.name)) apps.add(a.name);
    } else if (app) {
      apps.add(app.name);
    } else {
      throw new DrError("unknown_scope", `"${target}" is neither a tier nor an application`, {
        target,
        tiers: config.tiers.map((t) => t.name),
        applications: config.applications.map((a) => a.name),
      });
    }
  }
  if (targets.length === 0) for (const a of config.applications) apps.add(a.name);
  return apps;
}

/**
 * The scope grown by every application that shares a DNS record with it (until no record is split),
 * or a refusal naming each split record and who else is behind it.
 */
function withSharingApplications(
  config: Config,
  requested: ReadonlySet<string>,
  withShared: boolean,
): { applications: Set<string>; shared: SharedRecord[] } {
  const applications = new Set(requested);
  const shared: SharedRecord[] = [];
  for (let grown = true; grown; ) {
    grown = false;
    for (const record of config.dns.records) {
      if (!record.applications.some((a) => applications.has(a))) continue;
      const others = record.applications.filter((a) => !applications.has(a));
      if (others.length === 0) continue;
      shared.push({ record: record.name, applications: others });
      if (withShared) {
        for (const a of others) applications.add(a);
        grown = true;
      }
    }
    if (!withShared) break;
  }
  if (shared.length > 0 && !withShared)
    throw new DrError(
      "shared_record",
      `${shared.map((s) => `DNS record ${s.record} also carries ${s.applications.join(", ")}`).join("; ")}: a run moves a record only with every application behind it. Name them too, or add --with-shared to include them`,
      { shared },
    );
  return { applications, shared };
}

function servingOf(serving: readonly Serving[], config: Config, application: string): Serving {
  const home = homeSite(config, application);
  return serving.find((s) => s.application === application) ?? { application, site: home, home };
}

/** Where a failover or failback moves the applications from and to, or why it cannot. */
function direction(config: Config, kind: RunKind, serving: readonly Serving[]): [string, string] {
  const sites = [...new Set(serving.map((s) => s.site))];
  if (sites.length > 1)
    throw new DrError(
      "mixed_sites",
      `the applications are served from different sites: ${describeServing(serving)}. A ${kind} moves applications served from one site; request them separately`,
      { serving: serving.map((s) => ({ application: s.application, site: s.site })) },
    );
  const site = sites[0] ?? primarySite(config).name;
  const away = serving.filter(isAway);
  if (kind === "failover") {
    if (away.length > 0)
      throw new DrError(
        "already_served",
        `${describeServing(away)}: a failover moves applications from their home site to the DR site, and they are already away from home. To bring them home: /dr failback ${away.map((s) => s.application).join(" ")}`,
        { serving: away.map((s) => ({ application: s.application, site: s.site })) },
      );
    return [site, drSite(config).name];
  }
  const home = serving.filter((s) => !isAway(s));
  if (home.length > 0)
    throw new DrError(
      "already_served",
      `${describeServing(home)}: a failback brings applications home, and they are already there`,
      { serving: home.map((s) => ({ application: s.application, site: s.site })) },
    );
  return [site, serving[0]?.home ?? primarySite(config).name];
}

/**
 * Drills and verify runs that act on a site (a restore test, a drill) run on the standby: the DR
 * site while it serves nothing. While it serves any application, they are refused: its namespaces
 * are live, and the home site, being the one that failed, holds no current data until a failback.
 * Runs that name no site (backup verification) are never refused. Throws DrError("standby_serving").
 */
export function refuseServingStandby(
  kind: RunKind,
  sitesNamed: readonly string[],
  serving: readonly Serving[],
): void {
  if (kind === "failover" || kind === "failback" || sitesNamed.length === 0) return;
  const away = serving.filter(isAway);
  if (away.length === 0) return;
  const what = kind === "drill" ? "a drill" : "this run";
  throw new DrError(
    "standby_serving",
    `${describeServing(away)}: ${what} runs on the standby, and ${[...new Set(away.map((s) => s.site))].join(", ")} is not one while it serves production (its namespaces are live; ${[...new Set(away.map((s) => s.home))].join(", ")} holds no current data until a failback). Fail back first: /dr failback ${away.map((s) => s.application).join(" ")}`,
    { serving: away.map((s) => ({ application: s.application, site: s.site })) },
  );
}

/** "payments is served from dc2 since 2026-12-03T03:12:00.000Z (failover-…); core-api from dc1". */
export function describeServing(serving: readonly Serving[]): string {
  return serving
    .map((s) =>
      s.move
        ? `${s.application} is served from ${s.site} since ${new Date(s.move.at).toISOString()} (${s.move.runId})`
        : `${s.application} is served from ${s.site}${isAway(s) ? "" : " (its home)"}`,
    )
    .join("; ");
}

/**
 * The lock keys of a scope: one per application on its site pair, so two runs that share any
 * application conflict whatever their direction. Read-only verification runs lock their own space.
 */
export function scopeLockKeys(scope: RunScope, kind: RunKind): string[] {
  const pair = [scope.fromSite, scope.toSite].sort().join("+");
  const space = kind === "verify" ? "verify" : "sites";
  return scope.applications.map((app) => `${space}:${pair}:app:${app}`);
}

/**
 * The targets a scope was resolved from, without the applications `withShared` added: resolving them
 * again with `withShared` (when the scope has `shared`) gives the same scope.
 */
export function requestedTargets(scope: RunScope): string[] {
  const added = new Set((scope.shared ?? []).flatMap((s) => s.applications));
  return scope.applications.filter((a) => !added.has(a));
}

export function describeScope(scope: RunScope): string {
  const shared = (scope.shared ?? []).map((s) => `${s.applications.join(", ")} sharing ${s.record}`);
  return `${scope.applications.join(", ")} (${scope.fromSite} → ${scope.toSite})${shared.length > 0 ? `, with ${shared.join("; ")}` : ""}`;
}

export function scopeApplications(config: Config, scope: RunScope): ApplicationConfig[] {
  return config.applications.filter((a) => scope.applications.includes(a.name));
}

/** The tier targets that bind a run: the strictest of the tiers it touches. */
export function strictestTargets(
  config: Config,
  scope: RunScope,
): { rtoMs: number; rpoMs: number; budgets: RtoBudgets } {
  const tiers = config.tiers.filter((t) => scope.tiers.includes(t.name));
  return {
    rtoMs: Math.min(...tiers.map((t) => t.rto)),
    rpoMs: Math.min(...tiers.map((t) => t.rpo)),
    budgets: strictestBudgets(tiers),
  };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
