import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { ClusterName } from "./k8s-testenv.js";
import { waitFor } from "./wait-for.js";

/**
 * Real Velero on the local test clusters, started by `scripts/testenv up --velero`: versitygw serving
 * one bucket on loopback (the strategy's shared S3 storage), and one Velero server per cluster (run
 * out of cluster, with the AWS object-store plugin) whose storage location "default" is that bucket,
 * read-write on dc1 and read-only on dc2. Backups are real: Velero reads the API objects of the
 * namespaces and writes them to the bucket; restores create them again. KWOK runs no containers and
 * there are no volumes: these are resource backups, which is what the strategy's Velero schedule
 * takes (`--use-volume-snapshots=false`).
 *
 * The binaries are built by `scripts/k8s-build velero` (with `all`, in CI). When they are missing
 * the tests that need Velero fail saying how to build them: they never pass without it.
 */
export interface VeleroTestEnv {
  /** The velero binary (server and CLI). */
  bin: string;
  bucket: string;
  s3Endpoint: string;
  /** Runs the velero CLI against one cluster, in its velero namespace; rejects with its output. */
  cli(cluster: ClusterName, ...args: string[]): Promise<string>;
  /**
   * Waits until `cluster`'s Velero has the backup `name` Completed: the site that took it at once,
   * the other after its storage location's sync has brought it in from the bucket.
   */
  waitForBackup(cluster: ClusterName, name: string, timeoutMs?: number): Promise<void>;
  /** Takes a backup of `schedule` now (`velero backup create --from-schedule`), waits, returns its name. */
  backupFromSchedule(cluster: ClusterName, schedule: string): Promise<string>;
}

const REQUIRED = ["velero", "versitygw", "plugins/velero-plugin-for-aws"];

/** Where scripts/k8s-build keeps Velero's binaries; throws, saying how to build them, when any is missing. */
export async function requireVeleroBinaries(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir =
    (await execa("bash", ["scripts/k8s-build", "velero-dir"], { env, extendEnv: false })).stdout
      .trim()
      .split("\n")
      .pop() ?? "";
  const missing: string[] = [];
  for (const name of REQUIRED) {
    try {
      await access(join(dir, name));
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0)
    throw new Error(
      `Velero test binaries missing in ${dir}: ${missing.join(", ")}. ` +
        "Build them once with `bash scripts/k8s-build velero` (Go and the Go module proxy; cached). " +
        "Tests of the shipped runbooks run real Velero and do not pass without it.",
    );
  return dir;
}

export async function veleroTestEnv(dir: string, kubeconfigPath: string): Promise<VeleroTestEnv> {
  const bin = join(await requireVeleroBinaries(), "velero");
  const s3Endpoint = (await readFile(join(dir, "s3", "endpoint"), "utf8")).trim();
  const cli = async (cluster: ClusterName, ...args: string[]) => {
    const result = await execa(
      bin,
      ["--kubeconfig", kubeconfigPath, "--kubecontext", cluster, "--namespace", "velero", ...args],
      { timeout: 120_000, reject: false, all: true },
    );
    if (result.exitCode !== 0)
      throw new Error(`velero ${args.join(" ")} on ${cluster} exited ${result.exitCode}: ${result.all}`);
    return result.stdout;
  };
  const phaseOf = async (cluster: ClusterName, name: string) => {
    const out = await execa(
      bin,
      [
        "--kubeconfig",
        kubeconfigPath,
        "--kubecontext",
        cluster,
        "--namespace",
        "velero",
        "backup",
        "get",
        name,
        "-o",
        "json",
      ],
      { timeout: 30_000, reject: false },
    );
    if (out.exitCode !== 0) return undefined;
    return (JSON.parse(out.stdout) as { status?: { phase?: string } }).status?.phase;
  };
  const env: VeleroTestEnv = {
    bin,
    bucket: "dr-backups",
    s3Endpoint,
    cli,
    async waitForBackup(cluster, name, timeoutMs = 90_000) {
      await waitFor(async () => (await phaseOf(cluster, name)) === "Completed", {
        timeoutMs,
        intervalMs: 500,
        description: `backup ${name} Completed on ${cluster}`,
      });
    },
    async backupFromSchedule(cluster, schedule) {
      const out = await cli(cluster, "backup", "create", "--from-schedule", schedule, "--wait");
      const name = /Backup request "([^"]+)" submitted/.exec(out)?.[1];
      if (!name) throw new Error(`velero backup create gave no backup name: ${out}`);
      await env.waitForBackup(cluster, name);
      return name;
    },
  };
  return env;
}
