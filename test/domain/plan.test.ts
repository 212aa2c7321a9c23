import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import { buildPlan, isError, validateRunbook } from "../../src/domain/plan.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { servingAfterFailover } from "../support/serving.js";

const registry = createStepKindRegistry();
const config = testConfig();

function plan(steps: unknown[], targets: string[] = ["payments"], mode: "real" | "drill" = "real") {
  const runbook = testRunbook({ phases: [{ name: "main", steps }] });
  return buildPlan({
    runbook,
    config,
    scope: resolveScope(config, targets, "failover"),
    mode,
    catalog: registry,
  });
}

describe("buildPlan", () => {
  it("expands a step for every workload in scope with its placeholders filled", () => {
    const p = plan([
      {
        id: "scale",
        title: "Scale",
        kind: "k8s.scale",
        forEach: "workload",
        with: {
          site: "{{sites.to}}",
          namespace: "{{workload.namespace}}",
          name: "{{workload.name}}",
          replicas: "{{workload.replicas}}",
        },
      },
    ]);
    expect(p.steps.map((s) => s.id)).toEqual(["scale.production.payments-api", "scale.staging.payments-api"]);
    expect(p.steps[0]!.params).toMatchObject({
      site: "dc2",
      namespace: "production",
      name: "payments-api",
      replicas: 3,
    });
    expect(p.steps[1]!.params).toMatchObject({ replicas: 2 });
  });

  it("makes each step wait for the one before, and grouped steps run side by side", () => {
    const p = plan([
      { id: "a", title: "A", kind: "wait", with: { duration: "1s" } },
      { id: "b", title: "B", kind: "wait", group: "g", with: { duration: "1s" } },
      { id: "c", title: "C", kind: "wait", group: "g", with: { duration: "1s" } },
      { id: "d", title: "D", kind: "wait", with: { duration: "1s" } },
    ]);
    const needs = Object.fromEntries(p.steps.map((s) => [s.id, s.needs]));
    expect(needs).toEqual({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] });
  });

  it("gives the same hash for the same plan and a different one when anything that matters changes", () => {
    const steps = [{ id: "a", title: "A", kind: "wait", with: { duration: "1s" } }];
    expect(plan(steps).hash).toBe(plan(steps).hash);
    expect(plan(steps).hash).not.toBe(plan([{ ...steps[0], with: { duration: "2s" } }]).hash);
    expect(plan(steps).hash).not.toBe(plan(steps, ["core-api"]).hash);
  });

  it("leaves real-only steps out of drills", () => {
    const p = plan(
      [
        { id: "fence", title: "Fence", kind: "wait", runsIn: "real", with: { duration: "1s" } },
        { id: "check", title: "Check", kind: "wait", with: { duration: "1s" } },
      ],
      ["payments"],
      "drill",
    );
    expect(p.steps.map((s) => s.id)).toEqual(["check"]);
  });

  it("rejects unknown kinds, bad parameters, unknown placeholders and cycles, naming the path", () => {
    expect(() => plan([{ id: "a", title: "A", kind: "nope" }])).toThrow(
      /phases\[0\]\.steps\[0\]\.kind: unknown step kind "nope"/,
    );
    expect(() => plan([{ id: "a", title: "A", kind: "wait", with: { duration: "soon" } }])).toThrow(
      /steps\[0\]\.with\.duration/,
    );
    expect(() =>
      plan([{ id: "a", title: "A", kind: "wait", with: { duration: "{{nothing.here}}" } }]),
    ).toThrow(/unknown placeholder/);
    expect(() =>
      plan([
        { id: "a", title: "A", kind: "wait", needs: ["b"], with: { duration: "1s" } },
        { id: "b", title: "B", kind: "wait", with: { duration: "1s" } },
      ]),
    ).toThrow(/dependency cycle/);
    expect(() =>
      plan([
        { id: "a", title: "A", kind: "wait", with: { duration: "1s" } },
        { id: "a", title: "A again", kind: "wait", with: { duration: "1s" } },
      ]),
    ).toThrow(/duplicate step id "a"/);
  });

  it("passes scope text with shell metacharacters nowhere: it is refused before planning", () => {
    for (const evil of ["payments; rm -rf /", "$(id)", "`id`", "payments\nrm", "../etc"]) {
      expect(() => resolveScope(config, [evil], "failover")).toThrow(DrError);
    }
  });

  it("validates a runbook for every application in both modes at load time", () => {
    const runbook = testRunbook({
      phases: [
        {
          name: "main",
          steps: [
            {
              id: "c",
              title: "C",
              kind: "http",
              forEach: "healthCheck",
              with: { url: "{{check.url}}", expectStatus: "{{check.name}}" },
            },
          ],
        },
      ],
    });
    const issues = validateRunbook(runbook, config, registry).filter(isError);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.path.join(".")).toContain("with.expectStatus");
  });
});

describe("what steps need from the configuration", () => {
  const dnsSwitch = {
    id: "switch-dns",
    title: "DNS",
    kind: "dns.switch",
    with: { records: "{{scope.dnsRecords}}", activeSite: "{{sites.to}}" },
  };

  it("refuses to plan a DNS switch when no DNS provider is configured, naming the step", () => {
    const recordsOnly = testConfig({
      dns: {
        records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
      },
    });
    expect(() =>
      buildPlan({
        runbook: testRunbook({ phases: [{ name: "main", steps: [dnsSwitch] }] }),
        config: recordsOnly,
        scope: resolveScope(recordsOnly, ["payments"], "failover"),
        mode: "real",
        catalog: registry,
      }),
    ).toThrow(
      'runbook "test": step switch-dns at phases[0].steps[0].kind: needs a DNS provider, and the configuration has none',
    );
  });

  it("plans it once a provider and records are configured", () => {
    const withDns = testConfig({
      dns: {
        provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
        records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
      },
    });
    const p = buildPlan({
      runbook: testRunbook({ phases: [{ name: "main", steps: [dnsSwitch] }] }),
      config: withDns,
      scope: resolveScope(withDns, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    });
    expect(p.steps.map((s) => s.id)).toEqual(["switch-dns"]);
    expect(p.steps[0]!.params.records).toEqual(["app.example.com"]);
    expect(p.steps[0]!.summary).toBe("DNS app.example.com → dc2 100");
  });

  it("counts a health check after the traffic switch as validation, whatever phase the runbook put it in", () => {
    const withDns = testConfig({
      dns: {
        provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
        records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
      },
    });
    const check = (id: string) => ({ id, title: id, kind: "http", with: { url: "http://127.0.0.1:9/" } });
    const p = buildPlan({
      runbook: testRunbook({
        phases: [{ name: "traffic", steps: [check("before-switch"), dnsSwitch, check("after-switch")] }],
      }),
      config: withDns,
      scope: resolveScope(withDns, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    });
    expect(p.steps.map((s) => `${s.id}: ${s.rtoPhase}`)).toEqual([
      "before-switch: activation",
      "switch-dns: activation",
      "after-switch: validation",
    ]);
  });

  it("refuses an etcd snapshot of a source that is not an etcd source", () => {
    expect(() =>
      plan([{ id: "snap", title: "Snap", kind: "etcd.snapshot", with: { source: "pg" } }]),
    ).toThrow('needs a data source of kind etcd, but "pg" is of kind postgres; none is configured');
  });

  it("checks health checks of the run's target site only, and warns about an application without any", () => {
    const sited = testConfig();
    sited.applications[0]!.healthChecks = [
      { name: "dr", url: "http://dr.example/healthz", site: "dc2", expectStatus: 200, timeout: 5_000 },
      {
        name: "primary",
        url: "http://primary.example/healthz",
        site: "dc1",
        expectStatus: 200,
        timeout: 5_000,
      },
      { name: "global", url: "http://app.example/healthz", expectStatus: 200, timeout: 5_000 },
    ];
    const checks = {
      id: "health",
      title: "Health",
      kind: "http",
      forEach: "healthCheck",
      with: { url: "{{check.url}}" },
    };
    const runbook = testRunbook({ phases: [{ name: "main", steps: [checks] }] });
    const failover = buildPlan({
      runbook,
      config: sited,
      scope: resolveScope(sited, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    });
    expect(failover.steps.map((s) => s.id)).toEqual(["health.payments.dr", "health.payments.global"]);
    const failback = buildPlan({
      runbook,
      config: sited,
      scope: resolveScope(sited, ["payments"], "failback", {
        serving: servingAfterFailover(sited, ["payments"]),
      }),
      mode: "real",
      catalog: registry,
    });
    expect(failback.steps.map((s) => s.id)).toEqual(["health.payments.primary", "health.payments.global"]);
    const warnings = validateRunbook(runbook, sited, registry).filter((i) => !isError(i));
    expect(warnings.map((w) => w.message)).toEqual([
      "application core-api has no health check for dc2 (healthChecks with site: dc2 or none), so this step proves nothing about it",
      "application analytics has no health check for dc2 (healthChecks with site: dc2 or none), so this step proves nothing about it",
    ]);
  });
});

describe("resolveScope", () => {
  it("resolves tiers to their applications and sets the site pair by run kind", () => {
    expect(resolveScope(config, ["tier1"], "failover")).toEqual({
      applications: ["payments", "core-api"],
      tiers: ["tier1"],
      fromSite: "dc1",
      toSite: "dc2",
    });
    expect(
      resolveScope(config, ["analytics"], "failback", {
        serving: servingAfterFailover(config, ["analytics"]),
      }),
    ).toMatchObject({ fromSite: "dc2", toSite: "dc1" });
    expect(resolveScope(config, [], "drill").applications).toEqual(["payments", "core-api", "analytics"]);
  });

  it("names what exists when a target is unknown", () => {
    expect(() => resolveScope(config, ["paymnets"], "failover")).toThrow(/neither a tier nor an application/);
  });
});
