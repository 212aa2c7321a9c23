import { describe, expect, it } from "vitest";
import { dataSourceSchema } from "../../src/domain/config.js";
import { testConfig } from "../support/config-fixture.js";

const etcd = (over: Record<string, unknown>) => ({ name: "etcd-dc1", kind: "etcd", ...over });
const messages = (raw: unknown) => dataSourceSchema.safeParse(raw).error?.issues.map((i) => i.message) ?? [];

describe("an etcd data source", () => {
  it("reads RKE2's snapshots with no endpoint and no client certificate", () => {
    const source = dataSourceSchema.parse(
      etcd({ snapshotDir: "/mnt/dr-storage/etcd", naming: "rke2", snapshotFiles: { site: "dc1" } }),
    );
    expect(source).toMatchObject({ naming: "rke2", snapshotFiles: { site: "dc1" } });
    expect(source).not.toHaveProperty("endpoints");
  });

  it("must say where its snapshots are: a directory, RKE2's list, or both", () => {
    expect(messages(etcd({}))).toEqual([
      "give snapshotDir (snapshot files drbot can read), snapshotFiles (RKE2's list of them), or both",
    ]);
  });

  it("takes snapshots either through a Job on the etcd nodes or from drbot's process, not both", () => {
    expect(
      messages(
        etcd({
          snapshotDir: "/dr",
          endpoints: ["https://10.0.0.1:2379"],
          job: { site: "dc1", image: "registry.k8s.io/etcd:3.6.16-0", destination: { hostPath: "/dr" } },
        }),
      ),
    ).toContain(
      "give either job (a Job on the etcd nodes takes snapshots) or endpoints (drbot's process does), not both",
    );
  });

  it("defaults its Job to RKE2's etcd nodes and certificates", () => {
    const source = dataSourceSchema.parse(
      etcd({
        snapshotDir: "/dr",
        job: { site: "dc1", image: "registry.k8s.io/etcd:3.6.16-0", destination: { claimName: "dr-etcd" } },
      }),
    );
    expect(source).toMatchObject({
      job: {
        namespace: "drbot-etcd",
        nodeSelector: { "node-role.kubernetes.io/etcd": "true" },
        certDir: "/var/lib/rancher/rke2/server/tls/etcd",
        endpoint: "https://127.0.0.1:2379",
      },
    });
  });

  it("names only configured sites for its Job and its snapshot list", () => {
    const result = (() => {
      try {
        testConfig({
          dataSources: [
            etcd({
              snapshotDir: "/dr",
              snapshotFiles: { site: "dc9" },
              job: { site: "dc8", image: "etcd", destination: { hostPath: "/dr" } },
            }),
          ],
        });
        return [];
      } catch (error) {
        return (error as { issues: { path: unknown[]; message: string }[] }).issues;
      }
    })();
    expect(result).toContainEqual(
      expect.objectContaining({ path: ["dataSources", 0, "job", "site"], message: 'unknown site "dc8"' }),
    );
    expect(result).toContainEqual(
      expect.objectContaining({
        path: ["dataSources", 0, "snapshotFiles", "site"],
        message: 'unknown site "dc9"',
      }),
    );
  });
});
