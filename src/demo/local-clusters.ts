import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { childEnvironment, type Environment } from "../config/environment.js";
import type { Config } from "../domain/config.js";

/** The demo's `clusters` option: the local test clusters of scripts/testenv, with the example's workloads. */
export interface LocalClusters {
  kubeconfig: string;
  kubectl(context: string, ...args: string[]): Promise<void>;
  stop(): Promise<unknown>;
}

export async function startClusters(
  root: string,
  dir: string,
  processEnv: Environment,
  log: (line: string) => void,
): Promise<LocalClusters> {
  const bin =
    processEnv.DRBOT_K8S_BIN ??
    join(
      processEnv.DRBOT_K8S_CACHE ?? join(homedir(), ".cache", "drbot-k8s"),
      "v1.36.3-etcdv3.6.16-kwokv0.8.0",
    );
  for (const tool of ["kube-apiserver", "kubectl", "etcd", "kwok"])
    await access(join(bin, tool)).catch((error: unknown) => {
      throw new Error(
        `--clusters needs the local test-cluster binaries in ${bin}; build them once with scripts/k8s-build (15-30 min, needs Go)`,
        { cause: error },
      );
    });
  const state = join(dir, "testenv");
  // The scripts get the allow-listed environment and their own settings, never drbot's secrets.
  const own = Object.entries(processEnv.named).filter(
    ([name, value]) => value !== undefined && /^(DRBOT_(K8S|GO|TESTENV)_|GO)[A-Z0-9_]*$/.test(name),
  ) as [string, string][];
  const env = { ...childEnvironment(processEnv.named), ...Object.fromEntries(own), DRBOT_TESTENV_DIR: state };
  log("starting the local clusters dc1 and dc2 (scripts/testenv up)…");
  await execa("bash", [join(root, "scripts", "testenv"), "up"], {
    env,
    extendEnv: false,
    timeout: 180_000,
    stdio: "inherit",
  });
  const kubeconfig = join(state, "kubeconfig");
  return {
    kubeconfig,
    async kubectl(context, ...args) {
      await execa(join(bin, "kubectl"), ["--kubeconfig", kubeconfig, "--context", context, ...args], {
        timeout: 60_000,
        env: childEnvironment(processEnv.named),
        extendEnv: false,
      });
    },
    stop: () =>
      execa("bash", [join(root, "scripts", "testenv"), "down"], {
        env,
        extendEnv: false,
        timeout: 60_000,
        reject: false,
      }),
  };
}

/** The example's workloads on the real clusters: active on dc1, standby on dc2. */
export async function seedClusterWorkloads(clusters: LocalClusters, config: Config): Promise<void> {
  for (const site of config.sites) {
    const namespaces = [...new Set(config.applications.flatMap((a) => a.namespaces))];
    for (const ns of namespaces) await clusters.kubectl(site.name, "create", "namespace", ns);
    for (const app of config.applications)
      for (const w of app.workloads.filter((x) => x.kind === "Deployment" && x.name !== "*"))
        await clusters.kubectl(
          site.name,
          "create",
          "deployment",
          w.name,
          "-n",
          w.namespace,
          `--image=registry.example/${w.name}:2.0`,
          `--replicas=${site.role === "primary" ? w.replicas : w.standbyReplicas}`,
        );
  }
}
