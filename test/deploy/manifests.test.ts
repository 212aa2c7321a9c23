import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { configSchema } from "../../src/domain/config.js";

/** The deployment manifests are examples people copy: they must at least be right about drbot. */
type Doc = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: unknown };

async function documents(file: string): Promise<Doc[]> {
  return parseAllDocuments(await readFile(file, "utf8")).map((d) => d.toJS() as Doc);
}

const DIR = "deploy/kubernetes";

interface PodSpec {
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext: { runAsNonRoot?: boolean };
  containers: Array<{
    env?: unknown[];
    securityContext: { readOnlyRootFilesystem?: boolean };
    ports: Array<{ name: string; containerPort: number }>;
    readinessProbe: { httpGet: { path: string; port: string } };
    livenessProbe: { httpGet: { path: string; port: string } };
  }>;
}

describe("the Kubernetes manifests", () => {
  it("list only files that exist in the kustomization", async () => {
    const [kustomization] = await documents(join(DIR, "kustomization.yaml"));
    const resources = (kustomization as { resources: string[] }).resources;
    expect(resources.length).toBeGreaterThan(0);
    for (const file of resources) await expect(access(join(DIR, file))).resolves.toBeUndefined();
  });

  it("carry a drbot.yaml that drbot's own schema accepts, with Redis through Sentinel", async () => {
    const [configMap] = await documents(join(DIR, "configmap.yaml"));
    const [config] = parseAllDocuments(configMap!.data!["drbot.yaml"]!).map((d) => d.toJS());
    const parsed = configSchema.parse(config);
    expect(parsed.redis.sentinel?.sentinels).toHaveLength(3);
    expect(parsed.redis.passwordEnv).toBe("REDIS_PASSWORD");
    expect(parsed.redis.sentinel?.passwordEnv).toBe("REDIS_SENTINEL_PASSWORD");
  });

  it("admit only drbot, Redis and the Sentinels to Redis's and the Sentinels' ports", async () => {
    type Policy = {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: Array<{
          ports: Array<{ port: number }>;
          from: Array<{ podSelector?: { matchLabels: Record<string, string> } }>;
        }>;
      };
    };
    const docs = await documents(join(DIR, "redis-sentinel.yaml"));
    const policies = docs.filter((d) => d.kind === "NetworkPolicy") as unknown as Policy[];
    const guarded = policies.map((p) => p.spec.podSelector.matchLabels["app.kubernetes.io/name"]);
    expect(guarded.sort()).toEqual(["redis", "redis-sentinel"]);
    for (const policy of policies) {
      expect(policy.spec.ingress).toHaveLength(1);
      const [rule] = policy.spec.ingress;
      expect(rule!.ports.map((p) => p.port)).toEqual([
        policy.spec.podSelector.matchLabels["app.kubernetes.io/name"] === "redis" ? 6379 : 26379,
      ]);
      expect(rule!.from.map((f) => f.podSelector?.matchLabels["app.kubernetes.io/name"]).sort()).toEqual([
        "drbot",
        "redis",
        "redis-sentinel",
      ]);
    }
  });

  it("run drbot as a non-root, read-only container with health and readiness probes and no cluster token", async () => {
    const [deployment] = await documents(join(DIR, "deployment.yaml"));
    const pod = (deployment!.spec as { template: { spec: PodSpec } }).template.spec;
    const container = pod.containers[0]!;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(JSON.stringify(container.env)).not.toMatch(/xox[bp]-|xapp-/);
  });

  it("give drbot longer to stop than the drain it does on SIGTERM (engine.drainGrace of the shipped configuration)", async () => {
    const [deployment] = await documents(join(DIR, "deployment.yaml"));
    const pod = (deployment!.spec as { template: { spec: PodSpec } }).template.spec;
    const configMap = (await documents(join(DIR, "configmap.yaml"))).find((d) => d.kind === "ConfigMap")!;
    const config = configSchema.parse(parse(configMap.data!["drbot.yaml"]!));
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(
      config.engine.drainGrace + 10_000,
    );
  });

  it("probe and scrape drbot on its management port, apart from the port Slack posts to", async () => {
    const [deployment] = await documents(join(DIR, "deployment.yaml"));
    const template = (
      deployment!.spec as {
        template: { metadata: { annotations: Record<string, string> }; spec: PodSpec };
      }
    ).template;
    const container = template.spec.containers[0]!;
    expect(container.ports).toEqual([
      { name: "http", containerPort: 3000 },
      { name: "management", containerPort: 9090 },
    ]);
    expect(container.env).toContainEqual({ name: "MANAGEMENT_PORT", value: "9090" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "management" });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "management" });
    expect(template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "9090",
      "prometheus.io/path": "/metrics",
    });
    const services = await documents(join(DIR, "service.yaml"));
    const ports = (name: string) =>
      (
        services.find((d) => d.metadata?.name === name)!.spec as { ports: Array<{ targetPort: string }> }
      ).ports.map((p) => p.targetPort);
    expect(ports("drbot")).toEqual(["http"]);
    expect(ports("drbot-management")).toEqual(["management"]);
    const [policy] = (await documents(join(DIR, "network-policy.yaml"))) as unknown as Array<{
      spec: { ingress: Array<{ ports: Array<{ port: number }>; from?: unknown[] }> };
    }>;
    const management = policy!.spec.ingress.find((rule) => rule.ports.some((p) => p.port === 9090));
    expect(management?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ]);
  });

  it("grant the target clusters' drbot identity no secrets, and deletes only of isolation policies, scratch namespaces and Longhorn volumes", async () => {
    const docs = await documents("deploy/target-cluster/drbot-access.yaml");
    const role = docs.find((d) => d.kind === "ClusterRole") as unknown as {
      rules: Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }>;
    };
    const resources = role.rules.flatMap((r) => r.resources ?? []);
    expect(resources).not.toContain("secrets");
    // Longhorn volumes: the failback's longhorn.standby replaces a stale active volume on the
    // primary with a DR volume following DR's last backup (Longhorn cannot make an active one standby).
    for (const rule of role.rules)
      if (rule.verbs.includes("delete"))
        expect([
          { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"] },
          { apiGroups: [""], resources: ["namespaces"] },
          { apiGroups: ["longhorn.io"], resources: ["volumes"] },
        ]).toContainEqual({ apiGroups: rule.apiGroups, resources: rule.resources });
  });
});
