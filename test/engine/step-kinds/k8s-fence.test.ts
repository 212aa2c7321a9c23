import { describe, expect, it } from "vitest";
import { SimulatedSite } from "../../../src/demo/simulated-site.js";
import { DrError } from "../../../src/domain/errors.js";
import type { SiteHealth } from "../../../src/domain/site-health.js";
import type { WorkloadRef } from "../../../src/domain/workloads.js";
import { k8sFenceStep } from "../../../src/engine/step-kinds/k8s-fence.js";
import type { KubernetesServices, SitePort } from "../../../src/ports/site.js";
import { testConfig } from "../../support/config-fixture.js";
import { stepContext } from "../../support/step-context.js";

/**
 * k8s.fence decides what an unreachable primary means for the run: with `whenUnreachable:
 * "continue"` the step succeeds and says the primary could not be fenced, with "fail" it fails for
 * that reason; neither touches the site beyond asking its health. A primary that answers has its
 * workloads scaled to 0 whatever `whenUnreachable` says. (On the real clusters: k8s-observe.k8s.test.ts.)
 */
const config = testConfig();

/** A primary whose API server refuses connections: health says so; any other call is recorded and refused. */
class UnreachableSite implements SitePort {
  readonly name = "dc1";
  readonly calls: string[] = [];
  async health(): Promise<SiteHealth> {
    this.calls.push("health");
    return {
      site: this.name,
      reachable: false,
      ready: false,
      nodes: [],
      readyNodes: 0,
      latencyMs: 3,
      error: {
        code: "unavailable",
        reason: "unreachable",
        message: "health of dc1: connect ECONNREFUSED 127.0.0.1:6443",
      },
    };
  }
  private refuse(operation: string): never {
    this.calls.push(operation);
    throw new DrError("unavailable", `${operation} on dc1: connect ECONNREFUSED 127.0.0.1:6443`, {
      reason: "unreachable",
      site: this.name,
      operation,
    });
  }
  capacity = async () => this.refuse("capacity");
  listWorkloads = async () => this.refuse("listWorkloads");
  inventory = async () => this.refuse("inventory");
  readScale = async () => this.refuse("readScale");
  scale = async () => this.refuse("scale");
  listCronJobs = async () => this.refuse("listCronJobs");
  readCronJob = async () => this.refuse("readCronJob");
  suspendCronJob = async () => this.refuse("suspendCronJob");
  waitForRollout = async () => this.refuse("waitForRollout");
  snapshot = async () => this.refuse("snapshot");
  drift = async () => this.refuse("drift");
  fence = async () => this.refuse("fence");
  applyRunPolicies = async () => this.refuse("applyRunPolicies");
  createRunNamespace = async () => this.refuse("createRunNamespace");
  removeIsolation = async () => this.refuse("removeIsolation");
  listByRunId = async () => this.refuse("listByRunId");
  deleteNamespace = async () => this.refuse("deleteNamespace");
}

function reachablePrimary(): SimulatedSite {
  return new SimulatedSite({
    name: "dc1",
    datacenter: "dc1",
    clock: { now: () => Date.now() },
    workloads: [
      { namespace: "production", name: "payments-api", replicas: 3 },
      { namespace: "production", name: "payments-worker", replicas: 2 },
      { namespace: "staging", name: "payments-api", replicas: 2 },
      { namespace: "analytics", name: "reports", replicas: 1 },
    ],
  });
}

function contextWith(dc1: SitePort, lines: string[] = []) {
  const sites: KubernetesServices = {
    site: (name) => {
      if (name !== dc1.name) throw new Error(`no site ${name} in this test`);
      return dc1;
    },
  };
  return stepContext(config, { services: { sites }, lines });
}

const workloads = [{ namespace: "production", name: "payments-api" }];

describe("k8s.fence", () => {
  it('goes on when the primary is unreachable and whenUnreachable is "continue", saying it could not be fenced', async () => {
    const dc1 = new UnreachableSite();
    const params = k8sFenceStep.params.parse({ site: "dc1", workloads, whenUnreachable: "continue" });

    const result = await k8sFenceStep.execute(contextWith(dc1), params);

    expect(result).toEqual({
      status: "succeeded",
      output: "dc1 is unreachable (unavailable); it could not be fenced; going on as configured",
      outcome: "unconfirmed",
    });
    expect(dc1.calls).toEqual(["health"]);
  });

  it('continues by default: whenUnreachable is "continue" unless the runbook says otherwise', async () => {
    const dc1 = new UnreachableSite();
    const params = k8sFenceStep.params.parse({ site: "dc1", workloads });

    expect(params.whenUnreachable).toBe("continue");
    expect(await k8sFenceStep.execute(contextWith(dc1), params)).toMatchObject({ status: "succeeded" });
  });

  it('fails with the reason when the primary is unreachable and whenUnreachable is "fail"', async () => {
    const dc1 = new UnreachableSite();
    const params = k8sFenceStep.params.parse({ site: "dc1", workloads, whenUnreachable: "fail" });

    const result = await k8sFenceStep.execute(contextWith(dc1), params);

    expect(result).toEqual({
      status: "failed",
      error: "dc1 is unreachable (unavailable); it could not be fenced",
    });
    expect(dc1.calls).toEqual(["health"]);
  });

  it("scales a reachable primary's workloads to 0, whatever whenUnreachable says, leaves the rest alone and says which were not there", async () => {
    for (const whenUnreachable of ["continue", "fail"] as const) {
      const dc1 = reachablePrimary();
      const lines: string[] = [];
      const params = k8sFenceStep.params.parse({
        site: "dc1",
        workloads: [
          { namespace: "production", name: "*" },
          { namespace: "staging", name: "payments-api" },
          { namespace: "staging", name: "not-there" },
        ],
        whenUnreachable,
      });

      const result = await k8sFenceStep.execute(contextWith(dc1, lines), params);

      expect(result, whenUnreachable).toEqual({
        status: "succeeded",
        output: "fenced dc1: 3 workload(s) scaled to 0",
        outcome: "confirmed",
      });
      const replicas = async (namespace: string, name: string) =>
        dc1.readScale({ kind: "Deployment", namespace, name } satisfies WorkloadRef);
      expect(await replicas("production", "payments-api")).toBe(0);
      expect(await replicas("production", "payments-worker")).toBe(0);
      expect(await replicas("staging", "payments-api")).toBe(0);
      expect(await replicas("analytics", "reports")).toBe(1);
      expect(lines).toEqual([
        "deployment production/payments-api → 0",
        "deployment production/payments-worker → 0",
        "deployment staging/payments-api → 0",
        "deployment staging/not-there: not on dc1, nothing to fence",
      ]);
      expect(await k8sFenceStep.observe!(contextWith(dc1), params)).toEqual({
        holds: true,
        evidence: "dc1 is fenced: 3 workload(s) at 0",
      });
    }
  });
});
