import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdError } from "../../../src/adapters/etcd/etcd-error.js";
import { EtcdSnapshotService } from "../../../src/adapters/etcd/etcd-snapshot-service.js";
import { snapshotFileName } from "../../../src/adapters/etcd/snapshot-manifest.js";
import { ExecaCommandRunner } from "../../../src/adapters/execa/execa-command-runner.js";
import type { Config } from "../../../src/domain/config.js";
import { etcdSnapshotStep } from "../../../src/engine/step-kinds/etcd-snapshot.js";
import { type EtcdServer, startEtcdServer } from "../../support/etcd-server.js";
import { createSnapshotFile, installEtcdSnapshotFileCrd } from "../../support/etcd-snapshot-file-crd.js";
import { startTestClusters, stopTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * etcd the way RKE2 does it, against a real etcd and real API servers. RKE2 takes the snapshots on
 * its schedule and lists them as ETCDSnapshotFile objects (the CRD written from k3s's API types:
 * test/support/etcd-snapshot-file-crd.ts); drbot reads that list and verifies the files it is given
 * in DR storage, named as RKE2 names them, and made here by a real etcd. drbot's own snapshot runs
 * as a Kubernetes Job on the site's etcd node. KWOK runs no containers: the Job is created,
 * scheduled onto the etcd node and completed by KWOK's pod stages, and what the test can show is
 * what the API server holds (its spec, its node, its end); the test plays the container's part by
 * writing a real etcd snapshot where the Job's etcdctl would, once the Job exists. That etcdctl
 * really saves over host networking with the node's certificates is not shown here.
 */
let clusters: TestClusters;
let etcd: EtcdServer;
let work: string;
const commands = new ExecaCommandRunner();
const HOUR = 3_600_000;
/** Whole seconds: RKE2's names and timestamps carry no milliseconds. */
const now = Math.floor(Date.now() / 1000) * 1000;
const unix = (ms: number) => Math.floor(ms / 1000);
const rke2Name = (at: number) => `etcd-snapshot-dc1-server-0-${unix(at)}`;
const ETCD_NODE = "dc1-node-0";
const ETCD_ROLE = "node-role.kubernetes.io/etcd";

async function saveSnapshot(path: string): Promise<void> {
  const result = await execa(
    join(etcd.binDir, "etcdctl"),
    [
      `--endpoints=${etcd.endpoint}`,
      `--cacert=${etcd.tls.caFile}`,
      `--cert=${etcd.tls.certFile}`,
      `--key=${etcd.tls.keyFile}`,
      "snapshot",
      "save",
      path,
    ],
    { reject: false, timeout: 30_000 },
  );
  if (result.exitCode !== 0) throw new Error(`etcdctl snapshot save failed: ${result.stderr}`);
}

function config(source: Record<string, unknown>): Config {
  return clusters.config({
    dataSources: [
      {
        name: "etcd-dc1",
        kind: "etcd",
        cadence: "0 */6 * * *",
        protects: "configuration",
        binDir: etcd.binDir,
        ...source,
      },
    ],
  });
}

const readOne = async (cfg: Config) => {
  const [reading] = await new EtcdSnapshotService(cfg, commands).readRpo(now);
  return reading!;
};

beforeAll(async () => {
  clusters = await startTestClusters();
  etcd = await startEtcdServer();
  for (let i = 0; i < 10; i++) await etcd.put(`/registry/configmaps/kube-system/c-${i}`, `v${i}`);
  work = await mkdtemp(join(tmpdir(), "drbot-rke2-etcd-"));

  // dc1 is RKE2: the CRD, and the objects its etcd controller writes. dc2 serves no such API.
  await installEtcdSnapshotFileCrd(clusters, "dc1");
  await clusters.kubectl("dc1", "delete", "etcdsnapshotfiles", "--all", "--wait=true");
  await clusters.removeApiGroup("dc2", "k3s.cattle.io");

  // DR storage as drbot's pod sees it: RKE2's scheduled snapshots of 2 h and 8 h ago, copied there.
  await mkdir(join(work, "dr"));
  for (const at of [now - 2 * HOUR, now - 8 * HOUR]) await saveSnapshot(join(work, "dr", rke2Name(at)));
  const objects = [
    { at: now - 8 * HOUR, ready: true },
    { at: now - 2 * HOUR, ready: true },
    // Taken 10 minutes ago and listed by RKE2, not in DR storage yet.
    { at: now - 10 * 60_000, ready: true },
  ];
  for (const o of objects) {
    const snapshotName = rke2Name(o.at);
    for (const [prefix, location] of [
      ["local", `file:///var/lib/rancher/rke2/server/db/snapshots/${snapshotName}`],
      ["s3", `s3://dr-bucket/etcd/${snapshotName}`],
    ] as const)
      await createSnapshotFile(clusters, "dc1", {
        name: `${prefix}-${snapshotName}`,
        snapshotName,
        nodeName: prefix === "local" ? "dc1-server-0" : "s3",
        location,
        status: {
          readyToUse: o.ready,
          creationTime: new Date(o.at).toISOString().replace(/\.\d+Z$/, "Z"),
          size: "5Mi",
        },
      });
  }
  await createSnapshotFile(clusters, "dc1", {
    name: "local-etcd-snapshot-dc1-server-1-failed",
    snapshotName: "etcd-snapshot-dc1-server-1-failed",
    nodeName: "dc1-server-1",
    location: "file:///var/lib/rancher/rke2/server/db/snapshots/etcd-snapshot-dc1-server-1-failed",
    status: {
      readyToUse: false,
      creationTime: new Date(now - 5 * 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
      error: { message: "context deadline exceeded" },
    },
  });

  // One simulated node is the etcd server the Job must run on; its namespace is this file's.
  await clusters.kubectl("dc1", "label", "node", ETCD_NODE, `${ETCD_ROLE}=true`, "--overwrite");
  await clusters.ensureNamespace("dc1", clusters.ns("drbot-etcd"));
}, 300_000);

afterAll(async () => {
  await clusters?.kubectl("dc1", "label", "node", ETCD_NODE, `${ETCD_ROLE}-`);
  await clusters?.kubectl("dc1", "delete", "etcdsnapshotfiles", "--all", "--wait=false");
  await etcd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  await stopTestClusters(clusters);
});

describe("reading RKE2's etcd snapshots", () => {
  it("is the age of the newest RKE2 snapshot in DR storage that verifies, timed by its name, and names what RKE2 lists beside it", async () => {
    const reading = await readOne(
      config({ snapshotDir: join(work, "dr"), naming: "rke2", snapshotFiles: { site: "dc1" } }),
    );
    expect(reading.exposureMs).toBe(2 * HOUR);
    expect(reading.recoveryPointAt).toBe(now - 2 * HOUR);
    expect(reading.detail).toContain(
      `newest verified snapshot in the snapshot directory ${rke2Name(now - 2 * HOUR)}`,
    );
    expect(reading.detail).toMatch(/revision \d+, \d+ keys/);
    // Local and S3 copies of one snapshot are one snapshot.
    expect(reading.detail).toContain("RKE2 lists 3 ready snapshot(s)");
    expect(reading.detail).toContain(`its newest, ${rke2Name(now - 10 * 60_000)}`);
    expect(reading.detail).toContain("is not here or does not verify");
    expect(reading.detail).toContain(
      "1 failed (etcd-snapshot-dc1-server-1-failed: context deadline exceeded)",
    );
  });

  it("without a directory drbot can read, is the newest snapshot RKE2 reports ready, saying drbot did not verify it", async () => {
    const reading = await readOne(config({ snapshotFiles: { site: "dc1" } }));
    expect(reading.exposureMs).toBe(10 * 60_000);
    expect(reading.detail).toContain(`newest snapshot RKE2 reports ready: ${rke2Name(now - 10 * 60_000)}`);
    expect(reading.detail).toContain("not verified by drbot");
  });

  it("without etcdutl, as in drbot's image, checks etcd's embedded SHA-256 and skips a corrupt newer file, naming it", async () => {
    const dir = join(work, "no-etcdutl");
    await mkdir(dir);
    const newer = rke2Name(now - 1 * HOUR);
    await copyFile(join(work, "dr", rke2Name(now - 2 * HOUR)), join(dir, rke2Name(now - 2 * HOUR)));
    await copyFile(join(work, "dr", rke2Name(now - 2 * HOUR)), join(dir, newer));
    const file = await open(join(dir, newer), "r+");
    await file.write(Buffer.from("corrupted"), 0, 9, 4096);
    await file.close();
    const emptyBin = await mkdtemp(join(work, "bin-"));

    const reading = await readOne(config({ snapshotDir: dir, naming: "rke2", binDir: emptyBin }));

    expect(reading.exposureMs).toBe(2 * HOUR);
    expect(reading.detail).toContain("etcd's embedded SHA-256 matches; etcdutl is not available here");
    expect(reading.detail).toContain(
      `${newer}: corrupt: the database does not match etcd's embedded SHA-256`,
    );
  });

  it("skips RKE2's compressed snapshots, saying how to have them uncompressed", async () => {
    const dir = join(work, "zipped");
    await mkdir(dir);
    await writeFile(join(dir, `${rke2Name(now - HOUR)}.zip`), "PK");
    const reading = await readOne(config({ snapshotDir: dir, naming: "rke2" }));
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toContain(
      "compressed; drbot verifies uncompressed snapshots (etcd-snapshot-compress: false)",
    );
  });

  it("is unknown, saying why, on a site that does not serve ETCDSnapshotFile (not RKE2 or k3s)", async () => {
    const reading = await readOne(config({ snapshotFiles: { site: "dc2" } }));
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toContain("the ETCDSnapshotFile API (k3s.cattle.io/v1) is not served");
  });
});

describe("drbot's own etcd snapshot as a Job on the site's etcd node", () => {
  const namespace = () => clusters.ns("drbot-etcd");
  const jobSource = (over: Record<string, unknown> = {}) =>
    config({
      snapshotDir: join(work, "job-dr"),
      job: {
        site: "dc1",
        namespace: namespace(),
        image: "registry.k8s.io/etcd:3.6.16-0",
        destination: { nfs: { server: "dr-nfs.example.com", path: "/exports/etcd" } },
        ...over,
      },
    });

  it("creates the Job on the etcd node with the node's certificates mounted into it alone, follows it to the end and verifies the file in DR storage", async () => {
    await mkdir(join(work, "job-dr"), { recursive: true });
    const takenAt = now;
    const cfg = jobSource();
    const service = new EtcdSnapshotService(cfg, commands, { now: () => takenAt, pollMs: 200 });
    const lines: string[] = [];
    const ctx = stepContext(cfg, { services: { etcd: service }, lines });
    const params = etcdSnapshotStep.params.parse({ source: "etcd-dc1" });
    const file = snapshotFileName("etcd-dc1", takenAt);

    const execution = etcdSnapshotStep.execute(ctx, params);
    // KWOK runs no container: once the Job exists, the test writes what its etcdctl would.
    let job: JobJson | undefined;
    await waitFor(
      async () => {
        const out = await clusters.kubectl("dc1", "get", "jobs", "-n", namespace(), "-o", "json");
        job = (JSON.parse(out) as { items: JobJson[] }).items[0];
        return job !== undefined;
      },
      { timeoutMs: 30_000, description: "the snapshot Job to be created" },
    );
    await saveSnapshot(join(work, "job-dr", file));
    const result = await execution;

    expect(result, JSON.stringify(result)).toMatchObject({ status: "succeeded" });
    expect(result.status === "succeeded" && result.output).toContain(`${file} from Job ${namespace()}/`);
    expect(result.status === "succeeded" && result.output).toContain(`on ${ETCD_NODE}`);
    expect(result.status === "succeeded" && result.output).toContain(
      `saved straight to dr-nfs.example.com:/exports/etcd/${file}`,
    );
    expect(result.status === "succeeded" && result.output).toMatch(/revision \d+, \d+ keys/);

    const pod = job!.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ [ETCD_ROLE]: "true" });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(job!.spec.backoffLimit).toBe(0);
    expect(job!.metadata.labels).toMatchObject({
      "drbot.io/run-id": "failover-test",
      "drbot.io/step": "step",
    });
    const save = pod.initContainers[0]!;
    expect(save.command).toEqual(["etcdctl"]);
    expect(save.args).toContain("--key=/etcd-certs/server-client.key");
    expect(save.args.at(-1)).toBe(`/dr/${file}`);
    expect(save.volumeMounts).toContainEqual({
      name: "etcd-certs",
      mountPath: "/etcd-certs",
      readOnly: true,
    });
    // The verifying container never sees the certificates.
    expect(pod.containers[0]!.volumeMounts.map((m) => m.name)).toEqual(["dr"]);
    expect(pod.volumes).toContainEqual({
      name: "etcd-certs",
      hostPath: { path: "/var/lib/rancher/rke2/server/tls/etcd", type: "Directory" },
    });
    const pods = JSON.parse(
      await clusters.kubectl("dc1", "get", "pods", "-n", namespace(), "-o", "json"),
    ) as { items: { spec: { nodeName: string } }[] };
    expect(pods.items.map((p) => p.spec.nodeName)).toEqual([ETCD_NODE]);

    // A process taking the run over finds this step's snapshot instead of taking another.
    const found = await service.findTagged(
      "etcd-dc1",
      { runId: "failover-test", stepId: "step" },
      AbortSignal.timeout(30_000),
    );
    expect(found.found, found.evidence).toBe(true);
    expect(found.evidence).toContain(`${file} verifies`);
  });

  it("fails the step when the Job completes but its file in DR storage is not a whole snapshot", async () => {
    await clusters.kubectl("dc1", "delete", "jobs", "--all", "-n", namespace(), "--wait=true");
    const takenAt = now + 60_000;
    const cfg = jobSource();
    const service = new EtcdSnapshotService(cfg, commands, { now: () => takenAt, pollMs: 200 });
    const file = join(work, "job-dr", snapshotFileName("etcd-dc1", takenAt));
    const good = await readFile(join(work, "dr", rke2Name(now - 2 * HOUR)));
    await writeFile(file, good.subarray(0, Math.floor(good.length / 2)));

    const error = await service
      .take("etcd-dc1", { signal: AbortSignal.timeout(60_000), timeoutMs: 60_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(EtcdError);
    expect(String((error as Error).message)).toContain("the Job completed, but");
  });

  it("fails at the step's time when no etcd node matches, saying the Job's pod was never scheduled", async () => {
    const cfg = jobSource({ nodeSelector: { [ETCD_ROLE]: "absent" } });
    const service = new EtcdSnapshotService(cfg, commands, { now: () => now + 120_000, pollMs: 200 });

    const error = await service
      .take("etcd-dc1", { signal: AbortSignal.timeout(60_000), timeoutMs: 5_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(EtcdError);
    expect((error as EtcdError).failure).toBe("timeout");
    expect((error as Error).message).toContain("its pod was never scheduled");
  });

  it("stops following the Job as soon as the step is stopped, without waiting out its poll, and says so", async () => {
    await clusters.kubectl("dc1", "delete", "jobs", "--all", "-n", namespace(), "--wait=true");
    const cfg = jobSource({ nodeSelector: { [ETCD_ROLE]: "absent" } });
    // Read every ten minutes, within twenty: only the stop can end this wait while the test runs.
    const service = new EtcdSnapshotService(cfg, commands, { now: () => now + 180_000, pollMs: 600_000 });
    const stop = new AbortController();
    const taking = service.take("etcd-dc1", { signal: stop.signal, timeoutMs: 1_200_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitFor(
      async () =>
        (
          JSON.parse(await clusters.kubectl("dc1", "get", "jobs", "-n", namespace(), "-o", "json")) as {
            items: unknown[];
          }
        ).items.length > 0,
      { timeoutMs: 30_000, description: "the snapshot Job to be created" },
    );
    stop.abort(new Error("stopped by an operator's abort"));
    const error = await taking;

    expect(error).toBeInstanceOf(EtcdError);
    expect((error as Error).message).toContain(`the step was stopped before Job ${namespace()}/`);
    expect((error as Error).message).toContain("its pod was never scheduled");
  });
});

interface ContainerJson {
  command: string[];
  args: string[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface JobJson {
  metadata: { labels: Record<string, string> };
  spec: {
    backoffLimit: number;
    template: {
      spec: {
        nodeSelector: Record<string, string>;
        hostNetwork: boolean;
        automountServiceAccountToken: boolean;
        initContainers: ContainerJson[];
        containers: ContainerJson[];
        volumes: unknown[];
      };
    };
  };
}
