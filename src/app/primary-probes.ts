import { type Config, primarySite } from "../domain/config.js";
import type { Probe } from "../ports/probe.js";
import type { SitePort } from "../ports/site.js";

/**
 * What the watcher probes on the primary: its API server (the seed's `kubectl get nodes`, here the
 * site's health: /readyz answered and a node Ready), and, unless turned off, every application health
 * check that belongs to the primary (checks with no site, or the primary's name). The API server
 * going down puts every application at stake; a failing check only its own application.
 */
export function primaryProbes(config: Config, site: SitePort): Probe[] {
  const primary = primarySite(config).name;
  const probes: Probe[] = [
    {
      target: "api",
      applications: config.applications.map((a) => a.name),
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
    },
  ];
  if (!config.watch.healthChecks) return probes;
  for (const app of config.applications)
    for (const check of app.healthChecks) {
      if (check.site !== undefined && check.site !== primary) continue;
      probes.push(httpProbe(`app:${app.name}/${check.name}`, [app.name], check));
    }
  return probes;
}

function httpProbe(
  target: string,
  applications: string[],
  check: { url: string; expectStatus: number; bodyIncludes?: string | undefined; timeout: number },
): Probe {
  return {
    target,
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
