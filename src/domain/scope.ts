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
import type { RunScope } from "./run.js";

/**
 * Turns what a person typed (`tier1`, `payments reporting`, nothing) into the applications a run
 * touches. Only configured names are accepted; anything else, shell metacharacters included, is
 * refused before it can reach a step.
 */
export function resolveScope(config: Config, targets: readonly string[], kind: RunKind): RunScope {
  const apps = new Set<string>();
  const tiers = new Set<string>();
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
  const ordered = config.applications.filter((a) => apps.has(a.name));
  for (const a of ordered) tiers.add(a.tier);
  const primary = primarySite(config).name;
  const dr = drSite(config).name;
  const [fromSite, toSite] = kind === "failback" ? [dr, primary] : [primary, dr];
  return {
    applications: ordered.map((a) => a.name),
    tiers: config.tiers.filter((t) => tiers.has(t.name)).map((t) => t.name),
    fromSite,
    toSite,
  };
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

export function describeScope(scope: RunScope): string {
  return `${scope.applications.join(", ")} (${scope.fromSite} → ${scope.toSite})`;
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
