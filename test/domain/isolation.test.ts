import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { networkPolicyObject } from "../../src/adapters/kubernetes/run-objects.js";
import type { Config } from "../../src/domain/config.js";
import { configSchema } from "../../src/domain/config.js";
import { isolationNeeds, isolationPolicy } from "../../src/domain/isolation.js";
import { testConfig } from "../support/config-fixture.js";
import { allows, type Endpoint, type PolicyObject } from "../support/network-policy-evaluator.js";

/**
 * The drill's isolation as Kubernetes would read it: the policy drbot builds for a namespace is
 * turned into the object the adapter sends, and judged by the NetworkPolicy rules of the Kubernetes
 * documentation (test/support/network-policy-evaluator.ts). The same objects on a real API server are
 * checked in test/engine/step-kinds/k8s-isolation.k8s.test.ts.
 *
 * What these tests cannot show: that a packet is dropped. KWOK enforces no NetworkPolicy (the test
 * clusters run no network plugin and no containers), so every verdict here is about the policy
 * objects, what they select and allow, never about traffic; a real cluster's network plugin (Calico,
 * Cilium…) does the enforcing.
 */
function drillConfig(overrides: Record<string, unknown> = {}): Config {
  const base = testConfig();
  return testConfig({
    sites: [
      {
        name: "dc1",
        role: "primary",
        kubeconfig: { context: "dc1" },
        networks: ["10.1.0.0/16", "fd00:1::/48"],
      },
      {
        name: "dc2",
        role: "dr",
        kubeconfig: { context: "dc2" },
        isolation: {
          allow: [{ name: "monitoring", direction: "ingress", cidrs: ["10.1.9.0/24"], ports: [9090] }],
        },
      },
    ],
    applications: base.applications.map((a) =>
      a.name === "payments"
        ? {
            ...a,
            isolation: {
              allow: [
                { name: "queue", direction: "egress", cidrs: ["10.1.40.7/32"], ports: [{ port: 5672 }] },
              ],
            },
          }
        : a,
    ),
    dataSources: [
      {
        name: "pg",
        kind: "postgres",
        primary: { host: "10.1.20.5", user: "drbot" },
        replica: { host: "10.2.20.5", user: "drbot" },
      },
      { name: "velero", kind: "velero", site: "dc1", schedule: "daily" },
    ],
    ...overrides,
  });
}

/** The policy of a namespace as the API server would store it. */
function storedPolicy(config: Config, namespace: string): PolicyObject {
  const object = networkPolicyObject(
    "drill-1",
    namespace,
    isolationPolicy(config, { site: "dc2", from: "dc1", namespace }),
  );
  return parse(k8s.dumpYaml(object)) as PolicyObject;
}

const pod = { namespace: "production", labels: { app: "payments-api" } };
const inbound = (policy: PolicyObject, peer: Endpoint, port = 8080) =>
  allows([policy], { pod, direction: "ingress", peer, port });
const outbound = (policy: PolicyObject, peer: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
  allows([policy], { pod, direction: "egress", peer, port, protocol });

describe("drill isolation", () => {
  const config = drillConfig();
  const policy = storedPolicy(config, "production");

  it("cuts the namespace off from the primary's networks, both ways", () => {
    expect(inbound(policy, { address: "10.1.4.7" })).toBe(false);
    expect(inbound(policy, { address: "fd00:1::9" })).toBe(false);
    expect(outbound(policy, { address: "10.1.30.7" }, 5432)).toBe(false);
    expect(outbound(policy, { address: "fd00:1:0:3::1" }, 443)).toBe(false);
  });

  it("leaves everything else open: DR's own pods, users and drbot outside the primary, DNS", () => {
    const ingressController = { pod: { namespace: "ingress-nginx", labels: { app: "ingress-nginx" } } };
    expect(inbound(policy, ingressController)).toBe(true);
    expect(inbound(policy, { address: "203.0.113.20" })).toBe(true);
    expect(inbound(policy, { address: "2001:db8::20" })).toBe(true);
    expect(inbound(policy, { address: "10.2.5.20" })).toBe(true);
    expect(
      outbound(policy, { pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, 53, "UDP"),
    ).toBe(true);
    expect(outbound(policy, { pod: { namespace: "databases" } }, 5432)).toBe(true);
    expect(outbound(policy, { address: "198.51.100.7" }, 443)).toBe(true);
  });

  it("keeps the PostgreSQL replica's replication from the primary, on its port only", () => {
    expect(outbound(policy, { address: "10.1.20.5" }, 5432)).toBe(true);
    expect(outbound(policy, { address: "10.1.20.5" }, 22)).toBe(false);
    expect(outbound(policy, { address: "10.1.20.6" }, 5432)).toBe(false);
  });

  it("after a failover, isolating the primary site from DR keeps its server streaming from DR's", () => {
    const failedOver = drillConfig({
      sites: drillConfig().sites.map((s) => (s.name === "dc2" ? { ...s, networks: ["10.2.0.0/16"] } : s)),
    });
    const reversed = parse(
      k8s.dumpYaml(
        networkPolicyObject(
          "drill-2",
          "production",
          isolationPolicy(failedOver, { site: "dc1", from: "dc2", namespace: "production" }),
        ),
      ),
    ) as PolicyObject;
    expect(outbound(reversed, { address: "10.2.20.5" }, 5432)).toBe(true);
    expect(outbound(reversed, { address: "10.2.20.6" }, 5432)).toBe(false);
    expect(inbound(reversed, { address: "10.2.4.7" })).toBe(false);
  });

  it("keeps what the allow-lists of the site and of the namespace's applications name, as they name it", () => {
    expect(inbound(policy, { address: "10.1.9.14" }, 9090)).toBe(true);
    expect(inbound(policy, { address: "10.1.9.14" }, 22)).toBe(false);
    expect(outbound(policy, { address: "10.1.9.14" }, 9090)).toBe(false);
    expect(outbound(policy, { address: "10.1.40.7" }, 5672)).toBe(true);
    // The analytics namespace's policy carries the site's entries, not payments'.
    const analytics = storedPolicy(config, "analytics");
    expect(
      allows([analytics], {
        pod: { namespace: "analytics" },
        direction: "egress",
        peer: { address: "10.1.40.7" },
        port: 5672,
      }),
    ).toBe(false);
    expect(
      allows([analytics], {
        pod: { namespace: "analytics" },
        direction: "ingress",
        peer: { address: "10.1.9.14" },
        port: 9090,
      }),
    ).toBe(true);
  });

  it("writes why each rule is there on the policy", () => {
    const object = networkPolicyObject(
      "drill-1",
      "production",
      isolationPolicy(config, { site: "dc2", from: "dc1", namespace: "production" }),
    );
    expect(object.metadata?.annotations?.["drbot.io/rules"]).toBe(
      [
        "ingress 1: pods of dc2 itself (its ingress controller, DNS, monitoring)",
        "ingress 2: every address outside dc1's networks",
        "ingress 3: monitoring (site dc2)",
        "egress 1: pods of dc2 itself (its ingress controller, DNS, monitoring)",
        "egress 2: every address outside dc1's networks",
        "egress 3: queue (application payments)",
        "egress 4: replication-pg (replication of pg)",
      ].join("\n"),
    );
    expect(object.metadata?.annotations?.["drbot.io/purpose"]).toBe(
      "drill isolation of production on dc2: cut off from dc1 (10.1.0.0/16, fd00:1::/48) only",
    );
  });
});

describe("what drill isolation needs from the configuration", () => {
  const input = { site: "dc2", from: "dc1", namespaces: ["production"] };

  it("needs nothing more from a configuration with the primary's networks and an addressed database", () => {
    expect(isolationNeeds(drillConfig(), input)).toEqual([]);
  });

  it("needs the primary's networks: without them it could only cut everything", () => {
    const config = drillConfig({ sites: drillConfig().sites.map((s) => ({ ...s, networks: [] })) });
    expect(isolationNeeds(config, input)).toEqual([
      "sites[dc1].networks is empty: the isolation cuts dc2's namespaces off from dc1's networks only, so list dc1's address ranges (nodes, pods, services, load balancers, databases)",
    ]);
  });

  it("needs the addresses of a primary database named by host name, in an entry naming its data source", () => {
    const named = drillConfig({
      dataSources: [
        {
          name: "pg",
          kind: "postgres",
          primary: { host: "pg.dc1.example", user: "drbot" },
          replica: { host: "pg.dc2.example", user: "drbot" },
        },
        { name: "velero", kind: "velero", site: "dc1", schedule: "daily" },
      ],
    });
    expect(isolationNeeds(named, input)).toEqual([
      "the replication of pg must keep working, and its server in dc1 is named by host name (pg.dc1.example), which a NetworkPolicy cannot match: add an egress entry to isolation.allow with dataSource: pg and that server's addresses",
    ]);
    const withEntry = drillConfig({
      dataSources: named.dataSources,
      applications: named.applications.map((a) =>
        a.name === "payments"
          ? {
              ...a,
              isolation: {
                allow: [
                  {
                    name: "pg",
                    direction: "egress",
                    cidrs: ["10.1.20.5/32"],
                    ports: [5432],
                    dataSource: "pg",
                  },
                ],
              },
            }
          : a,
      ),
    });
    expect(isolationNeeds(withEntry, input)).toEqual([]);
  });

  it("needs drbot's addresses when drbot runs in the site cut off", () => {
    expect(isolationNeeds(drillConfig({ placement: { bot: "dc1" } }), input)).toEqual([
      "drbot runs in dc1 (placement.bot), the site the drill cuts off: add an ingress entry named drbot to isolation.allow with drbot's addresses, or its readings of the drill are cut too",
    ]);
  });

  it("refuses to isolate a site from itself", () => {
    expect(isolationNeeds(drillConfig(), { ...input, from: "dc2" })).toContain(
      "a site cannot be isolated from itself (dc2)",
    );
  });

  it("refuses allow-list entries that cannot mean what they say", () => {
    const raw = {
      ...drillConfig(),
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { context: "dc1" }, networks: ["10.1.2.3/16"] },
        {
          name: "dc2",
          role: "dr",
          kubeconfig: { context: "dc2" },
          isolation: {
            allow: [{ name: "x", direction: "egress", cidrs: ["10.1.0.0/16"], dataSource: "velero" }],
          },
        },
      ],
    };
    const result = configSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      'sites.0.networks.0: "10.1.2.3/16" has host bits set; the network is 10.1.0.0/16',
      'sites.1.isolation.allow.0.dataSource: "velero" is not a postgres data source',
    ]);
  });
});
