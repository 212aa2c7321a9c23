import { describe, expect, it } from "vitest";
import { judgeDrift, MAX_DIFF_LINES } from "../../../src/domain/readiness/drift.js";
import type { CrdState, NamespaceObjects } from "../../../src/domain/readiness/site-objects.js";
import { namespaceObjects, workloadSpec } from "../../support/namespace-objects.js";

const crds: CrdState[] = [{ name: "ledgers.payments.example.com", served: ["v1", "v1beta1"] }];

function drift(
  dc2: Partial<NamespaceObjects>,
  options: { dc1?: Partial<NamespaceObjects>; dc2Crds?: CrdState[]; crds?: string[] } = {},
) {
  return judgeDrift({
    reference: { site: "dc1", namespaces: { value: [namespaceObjects(options.dc1)] }, crds: { value: crds } },
    candidate: {
      site: "dc2",
      namespaces: { value: [namespaceObjects(dc2)] },
      crds: { value: options.dc2Crds ?? crds },
    },
    crds: options.crds ?? ["ledgers.payments.example.com"],
  });
}

describe("drift between the serving site and the standby", () => {
  it("is ready when the standby runs the same images, configuration, secrets, accounts and CRDs", () => {
    const finding = drift({});
    expect(finding).toMatchObject({ check: "drift", verdict: "ready", evidence: [] });
    expect(finding.summary).toBe("dc2 matches dc1: 1 workloads, 1 ConfigMaps, 1 Secrets, 1 CRDs");
  });

  it("an image tag that differs on one container is degraded, naming both images", () => {
    const finding = drift({
      workloads: [workloadSpec({ containers: [{ name: "api", image: "registry.example/payments:1.9" }] })],
    });
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence).toEqual([
      "image Deployment production/payments-api container api: registry.example/payments:2.0 on dc1, registry.example/payments:1.9 on dc2",
    ]);
    expect(finding.action).toMatch(/bring dc2 in line with dc1/);
  });

  it("a ConfigMap whose content differs is degraded, shown by hash and never by content", () => {
    const finding = drift({ configMaps: { "payments-config": "b".repeat(64) } });
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence).toEqual([
      "ConfigMap production/payments-config: content differs (sha256 aaaaaaaaaaaa on dc1, bbbbbbbbbbbb on dc2)",
    ]);
  });

  it("a missing Secret, ConfigMap, service account, workload or CRD is not_ready: pods could not start", () => {
    const finding = drift(
      { secrets: ["unrelated"], configMaps: {}, serviceAccounts: ["default"], workloads: [] },
      { dc2Crds: [] },
    );
    expect(finding.verdict).toBe("not_ready");
    expect(finding.evidence).toEqual([
      "Deployment production/payments-api: missing on dc2",
      "ConfigMap production/payments-config: missing on dc2",
      "Secret production/payments-db: missing on dc2",
      "ServiceAccount production/payments: missing on dc2",
      "CRD ledgers.payments.example.com: missing on dc2",
    ]);
    expect(finding.summary).toMatch(
      /^\d differences between dc1 and dc2: Deployment production\/payments-api: missing on dc2$/,
    );
  });

  it("a CRD version the serving site serves and the standby does not is not_ready", () => {
    const finding = drift({}, { dc2Crds: [{ name: "ledgers.payments.example.com", served: ["v1beta1"] }] });
    expect(finding.verdict).toBe("not_ready");
    expect(finding.evidence).toEqual([
      "CRD ledgers.payments.example.com: v1 served on dc1, not on dc2 (serves v1beta1)",
    ]);
  });

  it("a reference marked optional is degraded when missing, and unreferenced objects are not compared", () => {
    const finding = drift(
      { configMaps: {}, secrets: [] },
      {
        dc1: {
          workloads: [
            workloadSpec({ configMaps: [{ name: "payments-config", optional: true }], secrets: [] }),
          ],
        },
      },
    );
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence).toEqual(["ConfigMap production/payments-config: missing on dc2"]);
  });

  it("RBAC the workloads run with is compared: a binding to another role or changed rules are degraded", () => {
    const finding = drift({
      roles: { "payments-reader": "x".repeat(64) },
      roleBindings: [
        { name: "payments-reader", roleRef: "Role/admin", subjects: ["ServiceAccount production/payments"] },
      ],
    });
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence).toEqual([
      "RoleBinding production/payments-reader: binds Role/admin to 1 subjects on dc2, Role/payments-reader to 1 on dc1",
      "Role production/payments-reader: rules differ",
    ]);
  });

  it("caps the diff, worst lines first, and says how many more there are", () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      workloadSpec({ name: `api-${i}`, containers: [{ name: "api", image: `registry.example/api:${i}` }] }),
    );
    const finding = drift(
      {
        workloads: many.map((w) => ({
          ...w,
          containers: [{ name: "api", image: "registry.example/api:old" }],
        })),
      },
      { dc1: { workloads: [...many, workloadSpec({ name: "gone" })] } },
    );
    expect(finding.verdict).toBe("not_ready");
    expect(finding.evidence).toHaveLength(MAX_DIFF_LINES + 1);
    expect(finding.evidence[0]).toBe("Deployment production/gone: missing on dc2");
    expect(finding.evidence.at(-1)).toBe(`and ${13 - MAX_DIFF_LINES} more`);
  });

  it("is unknown, saying why, when either site could not be read", () => {
    const finding = judgeDrift({
      reference: { site: "dc1", namespaces: { value: [namespaceObjects()] }, crds: { value: [] } },
      candidate: {
        site: "dc2",
        namespaces: { error: "list deployments in production on dc2: timeout" },
        crds: { value: [] },
      },
      crds: [],
    });
    expect(finding).toMatchObject({
      verdict: "unknown",
      evidence: ["dc2: list deployments in production on dc2: timeout"],
    });
  });
});

describe("drift where drbot may not list Secrets", () => {
  it("compares everything else and says the Secret names were not compared", () => {
    const finding = drift({
      secrets: [],
      secretsUnread: "drbot may not list Secrets in production on dc2",
      workloads: [workloadSpec({ containers: [{ name: "api", image: "registry.example/payments:1.9" }] })],
    });
    expect(finding.verdict).toBe("unknown");
    expect(finding.evidence).toEqual([
      "Secret names in production not compared: drbot may not list Secrets in production on dc2",
      "image Deployment production/payments-api container api: registry.example/payments:2.0 on dc1, registry.example/payments:1.9 on dc2",
    ]);
    expect(finding.action).toMatch(/let drbot list what it could not/);
  });
});
