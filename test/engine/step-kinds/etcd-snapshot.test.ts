import { describe, expect, it } from "vitest";
import { resolveScope } from "../../../src/domain/scope.js";
import { etcdSnapshotStep } from "../../../src/engine/step-kinds/etcd-snapshot.js";
import { testConfig } from "../../support/config-fixture.js";

const base = testConfig();
const withEtcd = (source: Record<string, unknown>) =>
  testConfig({
    dataSources: [...base.dataSources.map((d) => ({ ...d })), { name: "etcd-dc1", kind: "etcd", ...source }],
  });
const check = (source: Record<string, unknown>) => {
  const config = withEtcd(source);
  return etcdSnapshotStep.checkConfig!(
    etcdSnapshotStep.params.parse({ source: "etcd-dc1" }),
    config,
    resolveScope(config, ["payments"], "failover"),
  );
};

describe("the etcd.snapshot step's needs", () => {
  it("are met by a source whose snapshots a Job on the site's etcd nodes takes", () => {
    expect(
      check({
        snapshotFiles: { site: "dc1" },
        job: { site: "dc1", image: "registry.k8s.io/etcd:3.6.16-0", destination: { hostPath: "/dr" } },
      }),
    ).toEqual([]);
  });

  it("are met by a source drbot's process saves with etcd's client certificates", () => {
    expect(check({ snapshotDir: "/backup/etcd", endpoints: ["https://10.0.0.1:2379"] })).toEqual([]);
  });

  it("refuse a source drbot can only read, before anyone approves a plan that would fail at that step", () => {
    expect(check({ snapshotFiles: { site: "dc1" } })).toEqual([
      {
        path: ["with", "source"],
        message:
          "cannot take a snapshot of \"etcd-dc1\": it has neither job (a Job on the site's etcd nodes) nor endpoints (drbot's process with etcd's client certificates)",
      },
    ]);
  });
});
