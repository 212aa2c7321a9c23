import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { requireClusterBinaries } from "./k8s-testenv.js";

/**
 * The k8s tier's one pair of clusters: started before its first file, stopped after its last.
 * DRBOT_TESTENV_DIR tells every file (startTestClusters) to use this pair; the files take turns
 * (the tier runs one file at a time) and each keeps to namespaces of its own. When a person has
 * set DRBOT_TESTENV_DIR already, their clusters are used and left running.
 */
export async function setup(): Promise<() => Promise<void>> {
  if (process.env.DRBOT_TESTENV_DIR) return async () => {};
  await requireClusterBinaries();
  const dir = join(tmpdir(), `drbot-testenv-shared-${process.pid}-${Date.now()}`);
  const testenv = (command: string) =>
    execa("bash", ["scripts/testenv", command], {
      env: { ...process.env, DRBOT_TESTENV_DIR: dir },
      reject: false,
      timeout: 300_000,
    });
  const up = await testenv("up");
  if (up.exitCode !== 0)
    throw new Error(`scripts/testenv up failed (logs in ${dir}/*/logs):\n${up.stderr.slice(-2000)}`);
  process.env.DRBOT_TESTENV_DIR = dir;
  return async () => {
    const down = await testenv("down");
    // Keep the logs of clusters that did not stop cleanly; otherwise leave nothing in /tmp.
    if (down.exitCode === 0) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`[k8s] scripts/testenv down failed; logs kept in ${dir}\n${down.stderr}\n`);
  };
}
