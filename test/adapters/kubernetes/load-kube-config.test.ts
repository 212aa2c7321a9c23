import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKubeConfig } from "../../../src/adapters/kubernetes/load-kube-config.js";
import type { SiteConfig } from "../../../src/domain/config.js";

const site = (path: string, context?: string): SiteConfig => ({
  name: "dc1",
  role: "primary",
  kubeconfig: { path, context, inCluster: false },
  requestTimeout: 2_000,
  networks: [],
  isolation: { allow: [] },
});

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c1, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u1, user: {token: super-secret-token-value}}]
contexts:
- {name: dc1, context: {cluster: c1, user: u1}}
- {name: broken, context: {cluster: nowhere, user: u1}}
current-context: dc1
`;

async function file(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "drbot-kubeconfig-")), "kubeconfig");
  await writeFile(path, text);
  return path;
}

describe("loadKubeConfig", () => {
  it("fixes the KubeConfig to the site's context", async () => {
    const kc = loadKubeConfig(site(await file(KUBECONFIG), "dc1"));
    expect(kc.getCurrentContext()).toBe("dc1");
    expect(kc.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  });

  it("names the file when it does not exist", () => {
    expect(() => loadKubeConfig(site("/nonexistent/kubeconfig", "dc1"))).toThrow(
      'site dc1: could not load kubeconfig /nonexistent/kubeconfig (context "dc1"): the file does not exist',
    );
  });

  it("names the file and context, and lists the contexts it has, when the context is missing", async () => {
    const path = await file(KUBECONFIG);
    expect(() => loadKubeConfig(site(path, "dc9"))).toThrow(
      `site dc1: could not load kubeconfig ${path} (context "dc9"): it has no context "dc9" (it has: dc1, broken)`,
    );
  });

  it("refuses a context whose cluster is not in the file", async () => {
    const path = await file(KUBECONFIG);
    expect(() => loadKubeConfig(site(path, "broken"))).toThrow(
      /names cluster "nowhere", which is not in the file/,
    );
  });

  it("refuses a file that is not a kubeconfig with code invalid_config and no file content", async () => {
    const path = await file("users:\n- name: u1\n  user: {token: super-secret-token-value\n  bad: [\n");
    let error: unknown;
    try {
      loadKubeConfig(site(path, "dc1"));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "invalid_config", reason: "invalid" });
    expect((error as Error).message).toContain(
      `kubeconfig ${path} (context "dc1"): the file is not a valid kubeconfig`,
    );
    expect((error as Error).message).not.toContain("super-secret");
  });
});
