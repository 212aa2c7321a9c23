import { describe, expect, it } from "vitest";
import { judgeStandby } from "../../../src/domain/readiness/standby.js";
import { testConfig } from "../../support/config-fixture.js";
import { namespaceObjects, workloadSpec } from "../../support/namespace-objects.js";

const payments = {
  ...testConfig().applications.find((a) => a.name === "payments")!,
  cronJobs: [{ namespace: "production", name: "*" }],
};
const job = (name: string, suspended: boolean, active = 0) => ({
  namespace: "production",
  name,
  suspended,
  schedule: "0 * * * *",
  active,
});

function standby(objects = namespaceObjects()) {
  return judgeStandby({
    application: payments,
    standby: { value: "dc2" },
    namespaces: { value: [objects, namespaceObjects({ namespace: "staging", workloads: [] })] },
  });
}

describe("standby hygiene", () => {
  it("is ready when the standby's CronJobs are suspended and its workloads at their standby replicas", () => {
    const finding = standby(
      namespaceObjects({ cronJobs: [job("settle", true)], workloads: [workloadSpec({ replicas: 0 })] }),
    );
    expect(finding).toMatchObject({
      verdict: "ready",
      summary: "dc2 stands by: 1 CronJobs suspended, 1 workloads at their standby replicas",
    });
  });

  it("a CronJob left active on the standby is degraded, naming it and its running jobs", () => {
    const finding = standby(
      namespaceObjects({
        cronJobs: [job("settle", false, 1), job("report", true)],
        workloads: [workloadSpec({ replicas: 0 })],
      }),
    );
    expect(finding).toMatchObject({
      verdict: "degraded",
      summary: "CronJob production/settle: not suspended on dc2 (1 running)",
    });
  });

  it("a workload scaled above its standbyReplicas on the standby is degraded", () => {
    const finding = standby(namespaceObjects({ workloads: [workloadSpec({ replicas: 3 })] }));
    expect(finding.evidence).toEqual([
      "Deployment production/payments-api: 3 replicas on dc2, standby keeps 0",
    ]);
  });

  it("lists at most eight problems, then how many more", () => {
    const jobs = Array.from({ length: 11 }, (_, i) => job(`job-${i}`, false));
    const finding = standby(namespaceObjects({ cronJobs: jobs, workloads: [workloadSpec({ replicas: 0 })] }));
    expect(finding.evidence).toHaveLength(9);
    expect(finding.evidence.at(-1)).toBe("and 3 more");
  });

  it("is unknown, never presuming a standby, when which site serves could not be read", () => {
    const finding = judgeStandby({
      application: payments,
      standby: { error: "site state: Redis did not answer within 2000 ms" },
      namespaces: { value: [] },
    });
    expect(finding).toMatchObject({
      verdict: "unknown",
      evidence: ["site state: Redis did not answer within 2000 ms"],
    });
  });
});
