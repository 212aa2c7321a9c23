import { WorkerInventories } from "../adapters/kubernetes/worker-inventories.js";
import { TlsCertificateReader } from "../adapters/tls/tls-certificate-reader.js";
import { assessReadiness, type ReadinessDeps } from "../app/readiness/assess-readiness.js";
import type { AssessReadiness } from "../ports/readiness.js";

/**
 * The runtime's readiness checks: those it is given; none when it is given sites in place of the
 * configured ones (simulated sites, test doubles), which come with their own checks or none; else
 * the checks on the configured sites (below).
 */
export function readinessChecks(
  given: { assessReadiness?: AssessReadiness; sites?: unknown },
  deps: Omit<ReadinessDeps, "inventories" | "certificates">,
): AssessReadiness | undefined {
  if (given.assessReadiness) return given.assessReadiness;
  if (given.sites) return undefined;
  return configuredReadiness({ ...deps, log: deps.log.child({ component: "readiness" }) });
}

/**
 * The readiness checks on the configured sites: each site's objects through its kubeconfig (read
 * in a worker thread), certificates by TLS handshakes against the system's CAs, the data sources through
 * the same readers as `/dr status`, the run history from the store.
 */
export function configuredReadiness(
  deps: Omit<ReadinessDeps, "inventories" | "certificates">,
): AssessReadiness {
  return assessReadiness({
    ...deps,
    // Read in a worker thread: parsing the sites' objects never holds up an answer to a person.
    inventories: new WorkerInventories(deps.config.sites),
    certificates: new TlsCertificateReader(),
  });
}
