import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import type { TestClusters } from "./k8s-testenv.js";

/**
 * Longhorn's real CRDs, taken at test time from longhorn-manager's published Go module (never copied
 * into this repository): `go mod download` puts the module in the Go module cache, and its
 * k8s/crds.yaml is what Longhorn's chart installs. The file carries one Helm template line per CRD
 * (`labels: {{- include "longhorn.labels" . ...}}`), which is replaced by a plain `labels:` here.
 */
export const LONGHORN_MANAGER_MODULE = "github.com/longhorn/longhorn-manager@v1.10.0";

const download = z.object({ Dir: z.string().optional(), Error: z.string().optional() });

export async function longhornCrdsYaml(): Promise<string> {
  const result = await execa("go", ["mod", "download", "-json", LONGHORN_MANAGER_MODULE], {
    cwd: tmpdir(),
    timeout: 300_000,
    reject: false,
    env: { GOFLAGS: "-mod=mod" },
  });
  const info = download.parse(JSON.parse(result.stdout || "{}"));
  if (!info.Dir)
    throw new Error(
      `go mod download ${LONGHORN_MANAGER_MODULE} failed: ${info.Error ?? result.stderr.slice(-500)}`,
    );
  const yaml = await readFile(join(info.Dir, "k8s", "crds.yaml"), "utf8");
  return yaml.replace(/^(\s*)labels: \{\{.*\}\}\s*$/gm, "$1labels:");
}

/** Installs Longhorn's CRDs on one cluster and waits until the API server serves them. */
export async function installLonghornCrds(clusters: TestClusters, context: string): Promise<void> {
  const file = join(clusters.dir, `longhorn-crds-${context}.yaml`);
  await writeFile(file, await longhornCrdsYaml());
  // Server-side apply: some of Longhorn's CRDs are too large for the last-applied annotation.
  await clusters.kubectl(context, "apply", "--server-side", "-f", file);
  await clusters.kubectl(
    context,
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...["volumes", "backups", "backupvolumes", "backuptargets", "recurringjobs"].map(
      (plural) => `crd/${plural}.longhorn.io`,
    ),
  );
}
