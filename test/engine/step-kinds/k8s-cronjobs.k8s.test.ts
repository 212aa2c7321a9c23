import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesSite } from "../../../src/adapters/kubernetes/kubernetes-site.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { k8sCronJobsStep } from "../../../src/engine/step-kinds/k8s-cronjobs.js";
import type { KubernetesServices } from "../../../src/ports/site.js";
import { kubernetesSites } from "../../../src/runtime/create-runtime.js";
import { expectWithinDeadline } from "../../support/deadline.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { stepContext } from "../../support/step-context.js";

/**
 * CronJobs are workloads too, on the real API servers: suspended on the standby, resumed on
 * activation, suspended again on failback, through spec.suspend. What the test bed cannot show: the
 * CronJob controller runs, but KWOK runs no containers, so a Job a resumed CronJob starts never
 * does any work; the step's effect is the field the controller obeys.
 */
let clusters: TestClusters;
let sites: KubernetesServices;
let BATCH: string;

const suspendedOn = (ctx: string, name: string) =>
  clusters.kubectl(ctx, "get", "cronjob", name, "-n", BATCH, "-o", "jsonpath={.spec.suspend}");

function context(mode: "real" | "drill" = "real", services: Partial<StepContext["services"]> = {}) {
  const ctx = stepContext(clusters.config(), { services: { sites, ...services } });
  return { ...ctx, mode, run: { ...ctx.run, mode } };
}

const params = (raw: Record<string, unknown>) =>
  k8sCronJobsStep.params.parse({ namespace: BATCH, name: "*", ...raw });

beforeAll(async () => {
  clusters = await startTestClusters();
  BATCH = clusters.ns("batch");
  for (const site of ["dc1", "dc2"]) {
    await clusters.ensureNamespace(site, BATCH);
    for (const name of ["settlement", "statements"])
      await clusters.kubectl(
        site,
        "create",
        "cronjob",
        name,
        "-n",
        BATCH,
        "--image=busybox",
        "--schedule=*/5 * * * *",
        "--",
        "true",
      );
  }
  // The standby's copies are deployed suspended, as a warm standby keeps them.
  for (const name of ["settlement", "statements"])
    await clusters.kubectl(
      "dc2",
      "patch",
      "cronjob",
      name,
      "-n",
      BATCH,
      "--type=merge",
      "-p",
      '{"spec":{"suspend":true}}',
    );
  sites = kubernetesSites(clusters.config());
}, 300_000);
afterAll(async () => {
  await clusters?.stop();
});

describe("k8s.cronjobs on the real clusters", () => {
  it("suspends the primary's CronJobs and resumes the standby's, observed before and after", async () => {
    const ctx = context();
    const suspend = params({ site: "dc1", suspend: true });
    expect(await k8sCronJobsStep.observe!(ctx, suspend)).toEqual({
      holds: false,
      evidence: `not suspended: cronjob ${BATCH}/settlement, cronjob ${BATCH}/statements`,
    });
    expect(await k8sCronJobsStep.execute(ctx, suspend)).toEqual({
      status: "succeeded",
      output: `2 CronJob(s) in ${BATCH} on dc1 suspended (2 changed)`,
      outcome: "confirmed",
    });
    expect(await k8sCronJobsStep.observe!(ctx, suspend)).toEqual({
      holds: true,
      evidence: "2 CronJob(s) already suspended",
    });
    expect(await suspendedOn("dc1", "settlement")).toBe("true");

    const resume = params({ site: "dc2", name: "settlement", suspend: false });
    await k8sCronJobsStep.execute(ctx, resume);
    expect(await suspendedOn("dc2", "settlement")).toBe("false");
    expect(await suspendedOn("dc2", "statements")).toBe("true");
    // Doing it again changes nothing (a run taken over repeats it safely).
    expect(await k8sCronJobsStep.execute(ctx, resume)).toEqual({
      status: "succeeded",
      output: `1 CronJob(s) in ${BATCH} on dc2 resumed (0 changed)`,
      outcome: "confirmed",
    });

    // The failback suspends DR's again and resumes the primary's.
    await k8sCronJobsStep.execute(ctx, params({ site: "dc2", suspend: true }));
    await k8sCronJobsStep.execute(ctx, params({ site: "dc1", suspend: false }));
    expect(await suspendedOn("dc2", "settlement")).toBe("true");
    expect(await suspendedOn("dc1", "settlement")).toBe("false");
    expect(await suspendedOn("dc1", "statements")).toBe("false");
  });

  it("resumes, as the undo of a suspension, only the CronJobs its own run suspended", async () => {
    const runA = { ...context(), run: { ...context().run, id: "failover-a" } };
    const runB = { ...context(), run: { ...context().run, id: "failover-b" } };
    // On dc1 both run; settlement is suspended by someone before the run.
    await k8sCronJobsStep.execute(runA, params({ site: "dc1", suspend: false }));
    await clusters.kubectl(
      "dc1",
      "patch",
      "cronjob",
      "settlement",
      "-n",
      BATCH,
      "--type=merge",
      "-p",
      '{"spec":{"suspend":true}}',
    );
    expect(await k8sCronJobsStep.execute(runA, params({ site: "dc1", suspend: true }))).toMatchObject({
      output: `2 CronJob(s) in ${BATCH} on dc1 suspended (1 changed)`,
    });
    const undo = params({ site: "dc1", suspend: false, onlySuspendedByRun: true });
    // Another run's undo resumes nothing of failover-a's.
    expect(await k8sCronJobsStep.observe!(runB, undo)).toMatchObject({ holds: true });
    await k8sCronJobsStep.execute(runB, undo);
    expect(await suspendedOn("dc1", "statements")).toBe("true");

    expect(await k8sCronJobsStep.observe!(runA, undo)).toEqual({
      holds: false,
      evidence: `not resumed: cronjob ${BATCH}/statements`,
    });
    const lines: string[] = [];
    await k8sCronJobsStep.execute({ ...runA, log: (l: string) => lines.push(l) }, undo);
    expect(await suspendedOn("dc1", "statements")).toBe("false");
    expect(await suspendedOn("dc1", "settlement")).toBe("true");
    expect(lines).toContain(`cronjob ${BATCH}/settlement: left suspended (it was suspended before this run)`);
    expect(await k8sCronJobsStep.observe!(runA, undo)).toMatchObject({ holds: true });
    expect(() => params({ site: "dc1", suspend: true, onlySuspendedByRun: true })).toThrow(
      /needs suspend: false/,
    );
    await k8sCronJobsStep.execute(runA, params({ site: "dc1", suspend: false }));
  });

  it("in a drill, reads the CronJobs and changes none", async () => {
    const result = await k8sCronJobsStep.execute(context("drill"), params({ site: "dc2", suspend: false }));
    expect(result).toEqual({
      status: "succeeded",
      output: "drill: 2 CronJob(s) on dc2 read, none changed",
      outcome: "drill",
    });
    expect(await suspendedOn("dc2", "settlement")).toBe("true");
  });

  it("fails naming a CronJob that is not there", async () => {
    await expect(
      k8sCronJobsStep.execute(context(), params({ site: "dc2", name: "not-there", suspend: false })),
    ).rejects.toThrow(/cronjob .*not-there|not found/i);
  });

  it("goes on where a hung primary cannot be suspended, saying it was not confirmed, within its deadline", async () => {
    const hung = await clusters.hangEndpoint();
    try {
      const config = clusters.config();
      const dc1 = new KubernetesSite({
        ...config.sites[0]!,
        kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
        requestTimeout: 500,
      });
      const started = performance.now();
      const result = await k8sCronJobsStep.execute(
        context("real", { sites: { site: () => dc1 } }),
        params({ site: "dc1", suspend: true, whenUnreachable: "continue" }),
      );
      expectWithinDeadline(performance.now() - started, 500, "suspending CronJobs on a hung primary");
      expect(result).toEqual({
        status: "succeeded",
        output: `dc1 is unreachable (timeout): its CronJobs in ${BATCH} could not be suspended; not confirmed, going on as configured`,
        outcome: "unconfirmed",
      });
    } finally {
      await hung.close();
    }
  });
});
