import { type Config, primarySite, type RunKind } from "./config.js";

/**
 * Which site serves each application. Every application starts at its home site (the configured
 * primary); a run that moves an application's traffic records the move (the `site.serving` step,
 * after its DNS switch), and from then on plans, drills, restore tests, the watcher and status
 * follow the record. Pure: the records come from the site-state store (src/ports/site-state.ts).
 */

/** One move of an application's traffic, as the run that made it recorded it. */
export interface ServingMove {
  application: string;
  from: string;
  to: string;
  /** When the move was recorded (after the run's DNS switch held). */
  at: number;
  runId: string;
  /** Who requested the run. */
  by: string;
  kind: RunKind;
}

/** Where an application is served now, and what put it there. */
export interface Serving {
  application: string;
  site: string;
  /** Where the application lives when nothing has failed: a failback brings it back here. */
  home: string;
  /** The move that put it there; absent while no run has moved it (it is where the configuration says). */
  move?: ServingMove;
}

/** The site an application returns to on failback. Every application's home is the primary today. */
export function homeSite(config: Config, _application: string): string {
  return primarySite(config).name;
}

/**
 * Every configured application with the site serving it: the newest recorded move, or its home when
 * none was recorded. Records of applications no longer configured are left out.
 */
export function servingSites(config: Config, recorded: readonly ServingMove[]): Serving[] {
  const byApplication = new Map(recorded.map((m) => [m.application, m]));
  return config.applications.map((app) => {
    const move = byApplication.get(app.name);
    const home = homeSite(config, app.name);
    return { application: app.name, site: move?.to ?? home, home, ...(move ? { move } : {}) };
  });
}

/** Every application served from its home site: the state before any failover. */
export function initialServing(config: Config): Serving[] {
  return servingSites(config, []);
}

export const isAway = (serving: Serving): boolean => serving.site !== serving.home;

/** The applications a site serves, in configuration order. */
export function servedBy(serving: readonly Serving[], site: string): Serving[] {
  return serving.filter((s) => s.site === site);
}

/** Applications served from one site by one move (or from home, never moved), for showing together. */
export interface ServingGroup {
  site: string;
  home: boolean;
  applications: string[];
  move?: ServingMove;
}

/** Groups applications by the site and the move that put them there, in configuration order. */
export function groupServing(serving: readonly Serving[]): ServingGroup[] {
  const groups: ServingGroup[] = [];
  for (const s of serving) {
    const found = groups.find((g) => g.site === s.site && g.move?.runId === s.move?.runId);
    if (found) found.applications.push(s.application);
    else
      groups.push({
        site: s.site,
        home: !isAway(s),
        applications: [s.application],
        ...(s.move ? { move: s.move } : {}),
      });
  }
  return groups;
}

/**
 * Which site serves each application, as `status` shows it: read from the store, or why it could not
 * be (status answers anyway, and says so rather than guessing).
 */
export type ServingReading = { read: true; applications: Serving[] } | { read: false; detail: string };

/**
 * What a run of `kind` presumes when the site state cannot be read (offline `drbot plan`): a failback
 * finds every application on the DR site, anything else finds them at home.
 */
export function presumedServing(config: Config, kind: RunKind): Serving[] {
  const dr = config.sites.find((s) => s.role === "dr")!.name;
  return initialServing(config).map((s) => (kind === "failback" ? { ...s, site: dr } : s));
}
