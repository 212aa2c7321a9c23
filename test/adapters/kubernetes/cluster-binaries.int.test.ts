import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requireClusterBinaries } from "../../support/k8s-testenv.js";

describe("requireClusterBinaries", () => {
  it("fails, naming what is missing and how to build it, instead of skipping or building", async () => {
    const empty = await mkdtemp(join(tmpdir(), "drbot-no-k8s-bin-"));
    await expect(requireClusterBinaries({ ...process.env, DRBOT_K8S_BIN: empty })).rejects.toThrow(
      `Kubernetes test binaries missing in ${empty}: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwok-stages.yaml. Build them once with \`bash scripts/k8s-build\``,
    );
  });
});
