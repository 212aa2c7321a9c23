import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { TestClusters } from "./k8s-testenv.js";
import { waitFor } from "./wait-for.js";

/**
 * external-dns's DNSEndpoint CRD, read at test time from the upstream project's Go module (kept in
 * the Go module cache, outside the repository), never written by hand or committed.
 * v0.22.0: the newest release whose module the build's Go (1.26) can still extract.
 */
export const EXTERNAL_DNS_MODULE = "sigs.k8s.io/external-dns";
export const EXTERNAL_DNS_VERSION = "v0.22.0";
export const DNS_ENDPOINT_CRD = "dnsendpoints.externaldns.k8s.io";

let crdFile: Promise<string> | undefined;

/** The CRD's YAML file in the module directory, downloaded once through the Go module proxy. */
export function dnsEndpointCrdFile(): Promise<string> {
  crdFile ??= (async () => {
    const module = `${EXTERNAL_DNS_MODULE}@${EXTERNAL_DNS_VERSION}`;
    const result = await execa("go", ["mod", "download", "-json", module], {
      cwd: tmpdir(),
      env: { GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
      timeout: 300_000,
      reject: false,
    });
    let info: { Dir?: string; Error?: string } = {};
    try {
      info = JSON.parse(String(result.stdout)) as typeof info;
    } catch {
      // No JSON: Go itself failed; stderr says why.
    }
    if (!info.Dir)
      throw new Error(
        `could not fetch external-dns's CRD (go mod download ${module}; needs Go and the Go module proxy): ${info.Error ?? String(result.stderr).slice(-500)}`,
      );
    return join(info.Dir, "config", "crd", "standard", `${DNS_ENDPOINT_CRD}.yaml`);
  })();
  return crdFile;
}

/**
 * Installs the DNSEndpoint CRD on one cluster and waits until the API server serves it: Established
 * comes before the resource's storage is ready (a list then answers 429 "storage is
 * (re)initializing"), so it also waits until a list succeeds.
 */
export async function installDnsEndpointCrd(clusters: TestClusters, context: string): Promise<void> {
  const file = await dnsEndpointCrdFile();
  await clusters.kubectl(context, "apply", "--server-side", "--field-manager=drbot-tests", "-f", file);
  await clusters.kubectl(
    context,
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    `crd/${DNS_ENDPOINT_CRD}`,
  );
  await waitFor(
    () =>
      clusters.kubectl(context, "get", DNS_ENDPOINT_CRD, "-A", "-o", "name").then(
        () => true,
        () => false,
      ),
    { timeoutMs: 60_000, intervalMs: 200, description: `DNSEndpoints to be listable on ${context}` },
  );
}
