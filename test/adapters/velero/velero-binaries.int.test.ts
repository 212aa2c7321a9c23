import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requireVeleroBinaries } from "../../support/velero-testenv.js";

describe("requireVeleroBinaries", () => {
  it("fails, naming what is missing and how to build it: a test of the shipped runbooks never passes without real Velero", async () => {
    const empty = await mkdtemp(join(tmpdir(), "drbot-no-velero-bin-"));
    try {
      await expect(requireVeleroBinaries({ ...process.env, DRBOT_VELERO_BIN: empty })).rejects.toThrow(
        `Velero test binaries missing in ${empty}: velero, versitygw, plugins/velero-plugin-for-aws. Build them once with \`bash scripts/k8s-build velero\``,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
