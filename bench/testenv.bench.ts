import { mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import { requireClusterBinaries } from "../test/support/k8s-testenv.js";
import type { BenchResult } from "./bench-kit.js";

/**
 * The local clusters' promise, "start in under 60 s when the binaries are cached": `scripts/testenv
 * up` in a fresh temporary directory (new certificates, new etcd data, as every test file gets)
 * with the binaries scripts/k8s-build cached; it never builds here (missing binaries fail first,
 * saying how to build them). `up` returns once both API servers pass /readyz, their default service
 * accounts exist and every simulated node is Ready; the bench checks the nodes with kubectl itself
 * before it accepts the time. Then `status` must show every process running, and after `down` no
 * process may be left: neither a pid `up` recorded nor anything whose command line names the state
 * directory.
 */
const NODES = 3;
const COMPONENTS = ["etcd", "apiserver", "kcm", "scheduler", "kwok"];
const CLUSTERS = ["dc1", "dc2"] as const;
const SCRIPT = new URL("../scripts/testenv", import.meta.url).pathname;

export async function run(): Promise<BenchResult> {
  const bin = await requireClusterBinaries();
  const work = await realpath(await mkdtemp(join(tmpdir(), "drbot-testenv-bench-")));
  const state = join(work, ".testenv");
  // The state directory is the default one, $PWD/.testenv; the node counts are the tests' own.
  const env: NodeJS.ProcessEnv = { ...process.env, DRBOT_TESTENV_NODES: String(NODES) };
  delete env.DRBOT_TESTENV_DIR;
  delete env.DRBOT_TESTENV_DC2_NODES;
  const testenv = (command: string) =>
    execa("bash", [SCRIPT, command], { cwd: work, env, extendEnv: false, reject: false, timeout: 180_000 });
  let stopped = false;
  let keep = false;
  try {
    const upStarted = performance.now();
    const up = await testenv("up");
    const upMs = performance.now() - upStarted;
    if (up.exitCode !== 0) {
      keep = true;
      throw new Error(`scripts/testenv up failed (logs in ${state}/*/logs):\n${up.stderr.slice(-2_000)}`);
    }
    if (up.stdout.trim().split("\n").pop() !== state)
      throw new Error(
        `scripts/testenv up printed ${JSON.stringify(up.stdout)}, not its state directory ${state}`,
      );
    for (const cluster of CLUSTERS) await expectNodesReady(bin, state, cluster);

    const statusStarted = performance.now();
    const status = await testenv("status");
    const statusMs = performance.now() - statusStarted;
    const running = status.stdout.split("\n").filter((l) => /^dc[12] +\S+ +running$/.test(l));
    if (status.exitCode !== 0 || running.length !== CLUSTERS.length * COMPONENTS.length)
      throw new Error(`scripts/testenv status does not show every process running:\n${status.stdout}`);

    const pids = await recordedPids(state);
    const downStarted = performance.now();
    const down = await testenv("down");
    const downMs = performance.now() - downStarted;
    if (down.exitCode !== 0) throw new Error(`scripts/testenv down failed:\n${down.stderr.slice(-2_000)}`);
    stopped = true;
    const left = await processesLeft(state, pids);
    keep = left.running.length > 0;

    return {
      name: "testenv",
      figures: [
        {
          name: `up: 2 clusters, ${NODES} nodes each Ready`,
          value: upMs / 1000,
          unit: "s",
          target: { op: "<", value: 60 },
        },
        { name: "status", value: statusMs, unit: "ms" },
        { name: "down", value: downMs / 1000, unit: "s" },
        {
          name: "processes left after down",
          value: left.running.length,
          unit: "processes",
          target: { op: "<=", value: 0 },
        },
      ],
      notes: [
        `one cold start in a fresh directory, binaries cached in ${bin}; the script's own count: ${
          up.stderr.match(/both clusters up in \d+ s/)?.[0] ?? "not printed"
        }`,
        `${pids.length} recorded processes before down; ${left.running.length} still running after${
          left.running.length > 0 ? `: ${left.running.join("; ")} (state kept in ${work})` : ""
        }${left.zombies > 0 ? `; ${left.zombies} exited, not yet reaped by their parent` : ""}`,
        "down sends TERM to every process at once and KILL to what is left after 5 s (an API server drains ~10 s on TERM)",
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
      ],
    };
  } finally {
    if (!stopped) await testenv("down");
    if (!keep) await rm(work, { recursive: true, force: true });
  }
}

/** Every node of the cluster Ready, read with kubectl (not taken from `up`'s word). */
async function expectNodesReady(bin: string, state: string, cluster: string): Promise<void> {
  const { stdout } = await execa(
    join(bin, "kubectl"),
    ["--kubeconfig", join(state, "kubeconfig"), "--context", cluster, "get", "nodes", "-o", "json"],
    { timeout: 30_000 },
  );
  const nodes = (
    JSON.parse(stdout) as {
      items: Array<{
        metadata: { name: string };
        status?: { conditions?: Array<{ type: string; status: string }> };
      }>;
    }
  ).items;
  const ready = nodes.filter((n) =>
    n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
  if (ready.length !== NODES)
    throw new Error(
      `${cluster}: ${ready.length} of ${NODES} nodes Ready after up (${nodes.map((n) => n.metadata.name).join(", ") || "no nodes"})`,
    );
}

/** The pids `up` recorded, one per component and cluster. */
async function recordedPids(state: string): Promise<number[]> {
  const pids: number[] = [];
  for (const cluster of CLUSTERS)
    for (const component of COMPONENTS)
      pids.push(Number((await readFile(join(state, cluster, `${component}.pid`), "utf8")).trim()));
  return pids;
}

/**
 * Processes of this environment still there: anything whose command line names the state directory
 * (every component's does: data directory, certificates or kubeconfig), the rule scripts/testenv
 * itself uses to recognise its own. A recorded pid that is a zombie has exited; its parent has yet to
 * reap it, and it is counted apart.
 */
async function processesLeft(
  state: string,
  recorded: number[],
): Promise<{ running: string[]; zombies: number }> {
  const running: string[] = [];
  let zombies = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined),
      readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined),
    ]);
    if (stat === undefined) continue; // exited while we looked
    // The state letter follows the command name in parentheses, which may itself contain spaces.
    const zombie = stat.charAt(stat.lastIndexOf(")") + 2) === "Z";
    const command = (cmdline ?? "").replaceAll("\0", " ").trim();
    if (zombie && recorded.includes(pid)) zombies++;
    else if (command.includes(`${state}/`)) running.push(`${pid} ${command.slice(0, 120)}`);
  }
  return { running, zombies };
}
