import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerOnArtifacts } from "../../../src/app/ledger-on-artifacts.js";
import type { Config } from "../../../src/domain/config.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { k8sIsolateStep, k8sUnisolateStep } from "../../../src/engine/step-kinds/k8s-isolation.js";
import type { ArtifactStore } from "../../../src/ports/artifact-store.js";
import { kubernetesSites } from "../../../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import {
  allows,
  type Endpoint,
  type PolicyObject,
  policiesFromList,
} from "../../support/network-policy-evaluator.js";
import { stepContext } from "../../support/step-context.js";

/**
 * The drill's isolation on a real API server: k8s.isolate puts its NetworkPolicies into DR's
 * namespaces of the drill, the API server validates and stores them, and the objects read back with
 * kubectl are judged by the rules of NetworkPolicy (test/support/network-policy-evaluator.ts): what
 * they select and what they allow.
 *
 * What this cannot show: that packets are dropped. The test clusters run no network plugin (KWOK
 * simulates pods and runs no containers), so the API server stores these policies and nothing
 * enforces them; on a real cluster the network plugin (Calico, Cilium…) does.
 */
let clusters: TestClusters;
let config: Config;
let PROD: string;
let STAGING: string;
let OTHER: string;

function memoryArtifacts(): ArtifactStore {
  const values = new Map<string, string>();
  return {
    put: async (runId, key, value) => void values.set(`${runId}:${key}`, value),
    get: async (runId, key) => values.get(`${runId}:${key}`),
  };
}

beforeAll(async () => {
  clusters = await startTestClusters();
  PROD = clusters.ns("production");
  STAGING = clusters.ns("staging");
  OTHER = clusters.ns("other");
  const raw = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  config = clusters.config({
    sites: raw.sites.map((s) =>
      s.name === "dc2"
        ? {
            ...s,
            isolation: {
              allow: [{ name: "monitoring", direction: "ingress", cidrs: ["10.1.9.0/24"], ports: [9090] }],
            },
          }
        : s,
    ),
    applications: raw.applications.map((a) => ({
      ...a,
      dataSources: ["pg"],
      isolation: { allow: [{ name: "drbot", direction: "ingress", cidrs: ["10.1.5.20/32"], ports: [8080] }] },
    })),
    dataSources: [
      {
        name: "pg",
        kind: "postgres",
        primary: { host: "10.1.20.5", user: "drbot" },
        replica: { host: "10.2.20.5", user: "drbot" },
      },
    ],
    placement: { bot: "dc1" },
  });
  for (const ns of [PROD, STAGING, OTHER]) await clusters.ensureNamespace("dc2", ns);
}, 300_000);
afterAll(async () => {
  await clusters?.stop();
});

describe("drill isolation on a real API server", () => {
  const runId = "drill-isolation-k8s-1";
  let ctx: StepContext;
  let stored: PolicyObject[];

  beforeAll(async () => {
    const base = stepContext(config, {
      services: { sites: kubernetesSites(config), ledger: ledgerOnArtifacts(memoryArtifacts()) },
    });
    ctx = { ...base, run: { ...base.run, id: runId, kind: "drill", mode: "drill" }, mode: "drill" };
    const params = k8sIsolateStep.params.parse({ site: "dc2", namespaces: [PROD, STAGING], from: "dc1" });
    expect(await k8sIsolateStep.execute(ctx, params)).toMatchObject({ status: "succeeded" });
    stored = policiesFromList(
      await clusters.kubectl("dc2", "get", "networkpolicy", "-A", "-o", "json"),
    ).filter((p) => [PROD, STAGING, OTHER].includes(p.metadata.namespace));
  });

  afterAll(async () => {
    await k8sUnisolateStep.execute(ctx, { site: "dc2" });
  });

  const api = (namespace: string) => ({ namespace, labels: { app: "payments-api" } });
  const into = (namespace: string, peer: Endpoint, port = 8080) =>
    allows(stored, { pod: api(namespace), direction: "ingress", peer, port });
  const out = (namespace: string, peer: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
    allows(stored, { pod: api(namespace), direction: "egress", peer, port, protocol });

  it("stores one policy per namespace of the drill, selecting every pod there, labelled with the run", () => {
    expect(stored.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(
      [`${PROD}/drbot-isolate-${runId}`, `${STAGING}/drbot-isolate-${runId}`].sort(),
    );
    for (const p of stored) {
      expect(p.spec.podSelector).toEqual({});
      expect(p.spec.policyTypes).toEqual(["Ingress", "Egress"]);
      expect((p.metadata as { labels?: Record<string, string> }).labels).toMatchObject({
        "drbot.io/run-id": runId,
      });
    }
  });

  it("cuts DC1's networks off from the drill's namespaces, both ways, IPv4 and IPv6", () => {
    for (const ns of [PROD, STAGING]) {
      expect(into(ns, { address: "10.1.4.7" })).toBe(false);
      expect(into(ns, { address: "fd00:1::4" })).toBe(false);
      expect(out(ns, { address: "10.1.30.7" }, 5432)).toBe(false);
      expect(out(ns, { address: "fd00:1::30" }, 443)).toBe(false);
    }
  });

  it("keeps DR working: its own pods, DNS, users and everything outside DC1", () => {
    expect(
      into(PROD, {
        pod: { namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" } },
      }),
    ).toBe(true);
    expect(into(PROD, { address: "203.0.113.20" })).toBe(true);
    expect(
      out(PROD, { pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, 53, "UDP"),
    ).toBe(true);
    expect(out(PROD, { address: "198.51.100.7" }, 443)).toBe(true);
  });

  it("keeps the PostgreSQL replica's replication from DC1's primary, drbot's readings from DC1 and the site's monitoring", () => {
    expect(out(PROD, { address: "10.1.20.5" }, 5432)).toBe(true);
    expect(out(PROD, { address: "10.1.20.5" }, 5433)).toBe(false);
    expect(into(PROD, { address: "10.1.5.20" }, 8080)).toBe(true);
    expect(into(PROD, { address: "10.1.5.20" }, 22)).toBe(false);
    expect(into(STAGING, { address: "10.1.9.30" }, 9090)).toBe(true);
  });

  it("leaves namespaces outside the drill alone", () => {
    expect(into(OTHER, { address: "10.1.4.7" })).toBe(true);
    expect(out(OTHER, { address: "10.1.30.7" }, 5432)).toBe(true);
  });

  it("records what it created in the run's ledger, and its removal leaves no policy of the run", async () => {
    expect((await ctx.services.ledger!.read(runId)).map((e) => `${e.change} ${e.object}`)).toEqual([
      `created NetworkPolicy ${PROD}/drbot-isolate-${runId}`,
      `created NetworkPolicy ${STAGING}/drbot-isolate-${runId}`,
    ]);
    expect(await k8sUnisolateStep.execute(ctx, { site: "dc2" })).toEqual({
      status: "succeeded",
      output: "removed 2 NetworkPolicies",
    });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "networkpolicy",
        "-A",
        "-l",
        `drbot.io/run-id=${runId}`,
        "-o",
        "name",
      ),
    ).toBe("");
  });
});
