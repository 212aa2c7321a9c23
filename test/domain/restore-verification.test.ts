import { describe, expect, it } from "vitest";
import {
  describeCounts,
  type ExpectedGroup,
  expectedGroups,
  type FoundGroup,
  verifyRestore,
} from "../../src/domain/restore-verification.js";

/** A backup's list of its contents as Velero writes it (backup-NAME-resource-list.json.gz). */
const contents = {
  "apps/v1/Deployment": ["production/payments-api", "production/payments-worker", "staging/payments-api"],
  "apps/v1/ReplicaSet": ["production/payments-api-5d8f"],
  "v1/ConfigMap": ["production/payments-config", "production/kube-root-ca.crt"],
  "v1/Secret": ["production/payments-db"],
  "v1/Event": ["production/payments-api.17a"],
  "discovery.k8s.io/v1/EndpointSlice": ["production/payments-tbl7j"],
  "v1/Namespace": ["production", "staging"],
  "v1/PersistentVolume": ["pvc-1"],
  "networking.k8s.io/v1/Ingress": ["production/payments"],
  "v1/Pod": ["other/unrelated"],
};
const restore = {
  includedNamespaces: ["production", "staging"],
  namespaceMapping: { production: "drbot-restore-production", staging: "drbot-restore-staging" },
};
const excluded = ["pods", "replicasets.apps", "ingresses.networking.k8s.io", "secrets"];

const RESOURCES: Record<string, string> = {
  Deployment: "deployments",
  ReplicaSet: "replicasets",
  ConfigMap: "configmaps",
  Secret: "secrets",
  Event: "events",
  Ingress: "ingresses",
  EndpointSlice: "endpointslices",
};

/** What the sandbox holds: everything of the backup, but for what `without` names. */
function sandbox(groups: ExpectedGroup[], without: string[] = []): Map<ExpectedGroup, FoundGroup> {
  return new Map(
    groups.map((g) => [
      g,
      {
        resource: RESOURCES[g.kind]!,
        names: g.names.filter((n) => !without.includes(`${g.kind} ${g.into}/${n}`)),
      },
    ]),
  );
}

describe("verifying a restore against the backup's contents", () => {
  it("expects the backup's namespaced objects of the restored namespaces, where the mapping put them", () => {
    const groups = expectedGroups(contents, restore);
    expect(groups.map((g) => `${g.kind} ${g.from}→${g.into} ${g.names.join(",")}`)).toEqual([
      "ConfigMap production→drbot-restore-production payments-config,kube-root-ca.crt",
      "Deployment production→drbot-restore-production payments-api,payments-worker",
      "EndpointSlice production→drbot-restore-production payments-tbl7j",
      "Event production→drbot-restore-production payments-api.17a",
      "Ingress production→drbot-restore-production payments",
      "ReplicaSet production→drbot-restore-production payments-api-5d8f",
      "Secret production→drbot-restore-production payments-db",
      "Deployment staging→drbot-restore-staging payments-api",
    ]);
    expect(groups.find((g) => g.kind === "Ingress")).toMatchObject({
      apiVersion: "networking.k8s.io/v1",
      group: "networking.k8s.io",
    });
  });

  it("passes when every object is there, counting per type, and leaves out what the restore excluded or Velero never restores", () => {
    const groups = expectedGroups(contents, restore);
    const verdict = verifyRestore(groups, sandbox(groups), excluded);
    expect(verdict.ok).toBe(true);
    expect(describeCounts(verdict.counts)).toBe(
      "ConfigMap drbot-restore-production 2/2, Deployment drbot-restore-production 2/2, Deployment drbot-restore-staging 1/1",
    );
    expect(verdict.skipped).toEqual([
      "EndpointSlice in production: the cluster makes them again for the restored objects, under new names",
      "Event in production: Velero never restores events",
      "Ingress in production: excluded by the restore (ingresses.networking.k8s.io)",
      "ReplicaSet in production: excluded by the restore (replicasets.apps)",
      "Secret in production: excluded by the restore (secrets)",
    ]);
  });

  it("fails naming the object the restore did not bring back", () => {
    const groups = expectedGroups(contents, restore);
    const verdict = verifyRestore(
      groups,
      sandbox(groups, ["Deployment drbot-restore-production/payments-worker"]),
      excluded,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.missing).toEqual([
      "Deployment drbot-restore-production/payments-worker (from production/payments-worker)",
    ]);
    expect(describeCounts(verdict.counts)).toContain("Deployment drbot-restore-production 1/2");
  });

  it("counts every object of a type the site does not serve as missing", () => {
    const groups = expectedGroups({ "example.com/v1/Widget": ["production/w1"] }, restore);
    const verdict = verifyRestore(groups, new Map(groups.map((g) => [g, undefined])), excluded);
    expect(verdict.missing).toEqual(["Widget drbot-restore-production/w1 (from production/w1)"]);
  });
});
