import { describe, expect, it } from "vitest";
import { allows, type Connection, type PolicyObject } from "./network-policy-evaluator.js";

/** The evaluator the policy tests rely on, checked against the examples of the Kubernetes documentation. */
const policy = (spec: PolicyObject["spec"], namespace = "prod"): PolicyObject => ({
  metadata: { name: "p", namespace },
  spec,
});
const toPod = (
  peer: Connection["peer"],
  port = 80,
  direction: Connection["direction"] = "ingress",
): Connection => ({
  pod: { namespace: "prod", labels: { app: "api" } },
  direction,
  peer,
  port,
});

describe("the NetworkPolicy evaluator", () => {
  it("allows everything to a pod no policy selects, and nothing to one a deny-all selects", () => {
    expect(allows([], toPod({ address: "203.0.113.1" }))).toBe(true);
    const denyAll = policy({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(allows([denyAll], toPod({ address: "203.0.113.1" }))).toBe(false);
    expect(allows([denyAll], toPod({ pod: { namespace: "prod" } }, 80, "egress"))).toBe(false);
    // Another namespace's policy does not select the pod.
    expect(
      allows(
        [policy({ podSelector: {}, policyTypes: ["Ingress"] }, "other")],
        toPod({ address: "203.0.113.1" }),
      ),
    ).toBe(true);
  });

  it("matches an ipBlock without its excepted ranges", () => {
    const p = policy({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.1.0.0/16"] } }] }],
    });
    expect(allows([p], toPod({ address: "203.0.113.1" }))).toBe(true);
    expect(allows([p], toPod({ address: "10.1.2.3" }))).toBe(false);
    expect(allows([p], toPod({ address: "10.2.0.1" }))).toBe(true);
    expect(allows([p], toPod({ address: "fd00::1" }))).toBe(false);
  });

  it("ANDs a namespaceSelector with a podSelector in one peer, and ORs separate peers", () => {
    const and = policy({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { team: "web" } },
              podSelector: { matchLabels: { role: "lb" } },
            },
          ],
        },
      ],
    });
    const web = { namespace: "ingress", namespaceLabels: { team: "web" } };
    expect(allows([and], toPod({ pod: { ...web, labels: { role: "lb" } } }))).toBe(true);
    expect(allows([and], toPod({ pod: { ...web, labels: { role: "other" } } }))).toBe(false);
    const or = policy({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: "web" } } },
            { podSelector: { matchLabels: { role: "lb" } } },
          ],
        },
      ],
    });
    expect(allows([or], toPod({ pod: { ...web, labels: { role: "other" } } }))).toBe(true);
    // A podSelector alone selects pods of the policy's own namespace only.
    expect(allows([or], toPod({ pod: { namespace: "prod", labels: { role: "lb" } } }))).toBe(true);
    expect(allows([or], toPod({ pod: { namespace: "elsewhere", labels: { role: "lb" } } }))).toBe(false);
  });

  it("matches ports by protocol, number and range", () => {
    const p = policy({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ipBlock: { cidr: "10.0.0.0/8" } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { port: 8000, endPort: 8080 },
          ],
        },
      ],
    });
    const out = (port: number, protocol?: "TCP" | "UDP") => ({
      ...toPod({ address: "10.0.0.1" }, port, "egress"),
      ...(protocol ? { protocol } : {}),
    });
    expect(allows([p], out(53, "UDP"))).toBe(true);
    expect(allows([p], out(53, "TCP"))).toBe(false);
    expect(allows([p], out(8080))).toBe(true);
    expect(allows([p], out(8081))).toBe(false);
  });

  it("reads matchExpressions", () => {
    const p = policy({
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["api"] }] },
      policyTypes: ["Ingress"],
    });
    expect(allows([p], toPod({ address: "203.0.113.1" }))).toBe(false);
    expect(
      allows([p], {
        ...toPod({ address: "203.0.113.1" }),
        pod: { namespace: "prod", labels: { app: "worker" } },
      }),
    ).toBe(true);
  });
});
