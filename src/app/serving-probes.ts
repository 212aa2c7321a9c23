import type { Config, HealthCheckConfig } from "../domain/config.js";
import { isAway, type Serving } from "../domain/site-state.js";
import type { Probe } from "../ports/probe.js";
import type { KubernetesServices } from "../ports/site.js";

/**
 * What the watcher probes: every site that serves an application, nothing else. Per serving site,
 * its API server (the seed's `kubectl get nodes`: /readyz answered and a node Ready) for the
 * applications it serves, and, unless turned off, each of those applications' health checks that
 * belong to that site (pinned to it, or to no site). Before any failover that is the primary alone;
 * after a failover of everything, DR alone; after a partial one, both, each for its applications.
 * A site that serves nothing (the standby, or a primary everything has failed over from) is not
 * probed: its failure puts nothing at stake.
 */
export function servingProbes(
  config: Config,
  serving: readonly Serving[],
  sites: KubernetesServices,
): Probe[] {
  const probes: Probe[] = [];
  for (const { name } of config.sites) {
    const served = serving.filter((s) => s.site === name);
    if (served.length === 0) continue;
    // Applications served away from home move back home; those at home move to DR.
    const remedy = served.some(isAway) ? "failback" : "failover";
    const site = sites.site(name);
    probes.push({
      target: `api:${name}`,
      site: name,
      remedy,
      applications: served.map((s) => s.application),
      async check(signal) {
        const health = await site.health({ signal });
        if (health.ready) return { ok: true, detail: `ready, ${health.readyNodes} node(s) Ready` };
        if (!health.reachable)
          return { ok: false, detail: health.error?.message ?? "the API server did not answer" };
        return {
          ok: false,
          detail: health.apiReady === false ? "the API server is not ready" : "no node is Ready",
        };
      },
    });
    if (!config.watch.healthChecks) continue;
    for (const s of served) {
      const app = config.applications.find((a) => a.name === s.application);
      for (const check of app?.healthChecks ?? []) {
        if (check.site !== undefined && check.site !== name) continue;
        probes.push(httpProbe(`app:${s.application}/${check.name}`, name, remedy, [s.application], check));
      }
    }
  }
  return probes;
}

function httpProbe(
  target: string,
  site: string,
  remedy: Probe["remedy"],
  applications: string[],
  check: Pick<HealthCheckConfig, "url" | "expectStatus" | "bodyIncludes" | "timeout">,
): Probe {
  return {
    target,
    site,
    remedy,
    applications,
    async check(signal) {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(check.timeout)]);
      try {
        const response = await fetch(check.url, { signal: deadline, redirect: "manual" });
        const body = check.bodyIncludes !== undefined ? await response.text() : "";
        await response.body?.cancel().catch(
          // The answer is in hand; a body that cannot be cancelled only leaves its socket to time out.
          () => undefined,
        );
        if (response.status !== check.expectStatus)
          return { ok: false, detail: `${check.url} answered ${response.status}` };
        if (check.bodyIncludes !== undefined && !body.includes(check.bodyIncludes))
          return { ok: false, detail: `${check.url} answered without the expected text` };
        return { ok: true, detail: `${check.url} answered ${response.status}` };
      } catch (error) {
        if (deadline.aborted) return { ok: false, detail: `${check.url}: no answer in time` };
        const cause =
          error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
        return {
          ok: false,
          detail: `${check.url}: ${cause ?? (error instanceof Error ? error.message : String(error))}`,
        };
      }
    },
  };
}
