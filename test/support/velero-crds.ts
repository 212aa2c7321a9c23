import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { TestClusters } from "./k8s-testenv.js";

/**
 * Velero's own CRDs, taken at test time from the upstream project's published Go module (the Go
 * module cache keeps them, outside the repository), never written by hand: for the fast tests of
 * phase handling, where test/support/velero-test-controller.ts plays the server. Tests of the
 * shipped runbooks run the real Velero server instead (velero-testenv.ts).
 */
export const VELERO_MODULE = "github.com/vmware-tanzu/velero";
export const VELERO_VERSION = "v1.18.3";

/** The CRDs drbot reads and writes; the others (repositories, pod volume backups…) are not needed. */
const CRDS = ["backups", "restores", "schedules", "backupstoragelocations"] as const;

let crdDir: Promise<string> | undefined;

/** config/crd/v1/bases of the Velero module, downloaded once through the Go module proxy. */
export function veleroCrdDir(): Promise<string> {
  crdDir ??= (async () => {
    const result = await execa("go", ["mod", "download", "-json", `${VELERO_MODULE}@${VELERO_VERSION}`], {
      cwd: tmpdir(),
      env: { GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
      timeout: 300_000,
      reject: false,
    }).catch((error: Error) => ({ exitCode: -1, stdout: "", stderr: error.message }));
    if (result.exitCode !== 0)
      throw new Error(
        `could not fetch Velero's CRDs (go mod download ${VELERO_MODULE}@${VELERO_VERSION}; needs Go and the Go module proxy): ${String(result.stderr).slice(-500)}`,
      );
    const dir = (JSON.parse(String(result.stdout)) as { Dir?: string }).Dir;
    if (!dir) throw new Error(`go mod download gave no directory for ${VELERO_MODULE}@${VELERO_VERSION}`);
    return join(dir, "config", "crd", "v1", "bases");
  })();
  return crdDir;
}

/**
 * Installs the CRDs on one cluster and waits until the API server serves them. Server-side apply:
 * the Restore CRD's schema is larger than client-side apply's last-applied annotation allows.
 */
export async function installVeleroCrds(clusters: TestClusters, context: string): Promise<void> {
  const dir = await veleroCrdDir();
  for (const crd of CRDS)
    await clusters.kubectl(
      context,
      "apply",
      "--server-side",
      "--field-manager=drbot-tests",
      "-f",
      join(dir, `velero.io_${crd}.yaml`),
    );
  await clusters.kubectl(
    context,
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...CRDS.map((crd) => `crd/${crd}.velero.io`),
  );
}
