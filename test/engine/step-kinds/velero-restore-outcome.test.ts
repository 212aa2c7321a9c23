import { describe, expect, it } from "vitest";
import { configSchema } from "../../../src/domain/config.js";
import type { RestoreInfo, RestoreResults } from "../../../src/domain/velero.js";
import { restoreVerdict } from "../../../src/domain/velero-phases.js";
import { veleroRestoreStep } from "../../../src/engine/step-kinds/velero-restore.js";
import { judgeRestore } from "../../../src/engine/step-kinds/velero-restore-outcome.js";
import type { VeleroPort } from "../../../src/ports/velero.js";
import { stepContext } from "../../support/step-context.js";

/**
 * How a finished restore is judged, with Velero's own messages, on a stand-in for the port (the
 * adapter reads them from real Velero in test/adapters/velero/velero-real.k8s.test.ts).
 */
const config = configSchema.parse({
  sites: [
    { name: "dc1", role: "primary", kubeconfig: { path: "/dev/null", context: "dc1" } },
    { name: "dc2", role: "dr", kubeconfig: { path: "/dev/null", context: "dc2" } },
  ],
  tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
  applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
});

const KEPT = /already exists\. Warning: the in-cluster version is different than the backed-up version$/;
const kept =
  'could not restore, Deployment "payments-api" already exists. Warning: the in-cluster version is different than the backed-up version';

function restore(
  phase: RestoreInfo["phase"],
  counts: { errors?: number; warnings?: number } = {},
): RestoreInfo {
  return {
    name: "drbot-failover-1-restore-1",
    backupName: "daily-backup-20261125020000",
    phase,
    includedNamespaces: ["production"],
    namespaceMapping: {},
    createdAt: 0,
    warnings: counts.warnings ?? 0,
    errors: counts.errors ?? 0,
    validationErrors: [],
    labels: {},
  };
}

const none = { velero: [], cluster: [], namespaces: {} };

/** Velero on dc2 answering the results of any restore with `results` (or failing), counting reads. */
function velero(results: RestoreResults | undefined | Error) {
  const port = {
    site: "dc2",
    reads: 0,
    async restoreResults() {
      port.reads++;
      if (results instanceof Error) throw results;
      return results;
    },
  } satisfies Pick<VeleroPort, "site" | "restoreResults"> & { reads: number };
  return port;
}

async function judge(r: RestoreInfo, port: ReturnType<typeof velero>, accept: RegExp[] = []) {
  const lines: string[] = [];
  const result = await judgeRestore(stepContext(config, { lines }), port, r, restoreVerdict(r), accept);
  return { result, lines };
}

describe("a finished restore, judged with Velero's messages", () => {
  it("succeeds when Completed without warnings, without asking Velero for anything more", async () => {
    const port = velero(new Error("not asked"));
    const { result } = await judge(restore("Completed"), port);
    expect(result).toEqual({
      status: "succeeded",
      output:
        "restore drbot-failover-1-restore-1 (from backup daily-backup-20261125020000) Completed with 0 error(s), 0 warning(s) on dc2",
    });
    expect(port.reads).toBe(0);
  });

  it("succeeds when every warning is one the runbook accepts, and lists them", async () => {
    const port = velero({ errors: none, warnings: { ...none, namespaces: { production: [kept] } } });
    const { result } = await judge(restore("Completed", { warnings: 1 }), port, [KEPT]);
    expect(result.status).toBe("succeeded");
    expect(result.status === "succeeded" && result.output).toContain(
      `every warning is one the runbook accepts:\nnamespace/production: ${kept}`,
    );
  });

  it("fails on a warning nobody foresaw, with Velero's words, so the run pauses before traffic moves", async () => {
    const port = velero({
      errors: none,
      warnings: {
        ...none,
        namespaces: { production: [kept, 'could not patch Service "payments": spec.clusterIP is immutable'] },
      },
    });
    const { result, lines } = await judge(restore("Completed", { warnings: 2 }), port, [KEPT]);
    expect(result).toEqual({
      status: "failed",
      error: [
        "restore drbot-failover-1-restore-1 (from backup daily-backup-20261125020000) Completed with 0 error(s), 2 warning(s) on dc2; 1 warning(s) the runbook does not accept (1 warning(s) accepted by the runbook)",
        "Velero's warnings:",
        'namespace/production: could not patch Service "payments": spec.clusterIP is immutable',
      ].join("\n"),
    });
    expect(lines).toContain(
      "Velero's messages for restore drbot-failover-1-restore-1: 0 error(s), 1 warning(s) not accepted, 1 accepted by the runbook",
    );
  });

  it("fails on PartiallyFailed with Velero's errors first", async () => {
    const port = velero({
      errors: {
        ...none,
        namespaces: {
          production: ["error restoring configmaps/production/app-config: admission webhook denied it"],
        },
      },
      warnings: none,
    });
    const { result } = await judge(restore("PartiallyFailed", { errors: 1 }), port);
    expect(result.status).toBe("failed");
    expect(result.status === "failed" && result.error).toMatch(
      /ended PartiallyFailed with 1 error\(s\), 0 warning\(s\).* on dc2\nVelero's errors:\nnamespace\/production: error restoring configmaps\/production\/app-config: admission webhook denied it$/,
    );
  });

  it("fails a Completed restore with warnings that cannot be read: nobody can tell they are harmless", async () => {
    const { result } = await judge(
      restore("Completed", { warnings: 3 }),
      velero(new Error("Velero's server did not answer")),
      [KEPT],
    );
    expect(result.status === "failed" && result.error).toBe(
      [
        "restore drbot-failover-1-restore-1 (from backup daily-backup-20261125020000) Completed with 0 error(s), 3 warning(s) on dc2: a warning is a failure unless the runbook accepts it, and these could not be read",
        "Velero's messages could not be read: Velero's server did not answer; `velero restore describe drbot-failover-1-restore-1 --details` shows them",
      ].join("\n"),
    );
  });

  it("does not ask for the messages of a restore that failed validation: it never ran", async () => {
    const port = velero(new Error("not asked"));
    const { result } = await judge(restore("FailedValidation"), port);
    expect(result.status).toBe("failed");
    expect(port.reads).toBe(0);
  });
});

describe("velero.restore's parameters", () => {
  it("refuse a warning pattern that is not a regular expression, saying why", () => {
    const parsed = veleroRestoreStep.params.safeParse({
      site: "dc2",
      acceptWarnings: ["already exists (kept"],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ["acceptWarnings", 0],
      message: expect.stringMatching(/^not a regular expression: .*Unterminated group/),
    });
  });

  it("say when nothing is given: existing objects kept, everything restored, no warning accepted", () => {
    expect(veleroRestoreStep.params.parse({ site: "dc2" })).toMatchObject({
      existingResourcePolicy: "none",
      excludeResources: [],
      acceptWarnings: [],
    });
  });
});
