import { readFile, rm } from "node:fs/promises";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { EtcdSnapshotService } from "../src/adapters/etcd/etcd-snapshot-service.js";
import { etcdTools } from "../src/adapters/etcd/etcd-tools.js";
import { runEtcdSnapshotJob } from "../src/adapters/etcd/run-etcd-snapshot-job.js";
import { verifyEtcdSnapshot } from "../src/adapters/etcd/verify-etcd-snapshot.js";
import { ExecaCommandRunner } from "../src/adapters/execa/execa-command-runner.js";
import { configSchema } from "../src/domain/config.js";
import { startEtcdServer } from "../test/support/etcd-server.js";
import type { BenchResult } from "./bench-kit.js";

/**
 * etcd snapshots at a realistic size: a TLS etcd with client certificates filled with 40 MB of
 * keys (4,000 values of 10 KB, about what a mid-sized cluster's etcd holds), then the whole job
 * (health check, save, verify, DR copy, verify the copy, retention), verification alone, and the
 * RPO reading `/dr status` asks for, cold and from the verification cache. Status answers within
 * 2 s, so a cold reading must fit in that.
 */
const KEYS = 4_000;
const VALUE_BYTES = 10_000;
const ROUNDS = 3;

export async function run(): Promise<BenchResult> {
  const etcd = await startEtcdServer();
  const commands = new ExecaCommandRunner();
  try {
    await fill(etcd.endpoint, etcd.tls);
    const config = configSchema.parse({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [
        { name: "payments", tier: "tier1", namespaces: ["production"], dataSources: ["etcd-dc1"] },
      ],
      dataSources: [
        {
          name: "etcd-dc1",
          kind: "etcd",
          endpoints: [etcd.endpoint],
          snapshotDir: join(etcd.dir, "backups", "local"),
          drDir: join(etcd.dir, "backups", "dr"),
          ...etcd.tls,
          binDir: etcd.binDir,
          retention: { count: 2 },
        },
      ],
    });
    const source = config.dataSources[0]!;
    if (source.kind !== "etcd") throw new Error("unreachable");

    const jobMs: number[] = [];
    const phases = {
      connect: [] as number[],
      save: [] as number[],
      copy: [] as number[],
      retain: [] as number[],
    };
    let sizeBytes = 0;
    let file = "";
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now();
      let last = started;
      // The job logs one line at the end of each phase; the time between lines is the phase.
      const lap = (into: number[]) => {
        const now = performance.now();
        into.push(now - last);
        last = now;
      };
      const report = await runEtcdSnapshotJob(source, {
        commands,
        log: (line) => {
          if (line.includes(" answered (health")) lap(phases.connect);
          else if (line.startsWith("saved ")) lap(phases.save);
          else if (line.startsWith("copied to ")) lap(phases.copy);
        },
      });
      lap(phases.retain);
      jobMs.push(performance.now() - started);
      sizeBytes = report.snapshot.sizeBytes;
      file = report.snapshot.file;
    }
    const verifyStarted = performance.now();
    const verified = await verifyEtcdSnapshot(etcdTools(commands, etcd.binDir), "etcd-dc1", file, {
      signal: AbortSignal.timeout(60_000),
      timeoutMs: 60_000,
    });
    const verifyMs = performance.now() - verifyStarted;
    if (!verified.ok) throw new Error(`the benchmark's snapshot did not verify: ${verified.why}`);

    const service = new EtcdSnapshotService(config, commands);
    const coldStarted = performance.now();
    const [cold] = await service.readRpo(Date.now());
    const coldMs = performance.now() - coldStarted;
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await service.readRpo(Date.now());
      warm.push(performance.now() - started);
    }
    if (cold?.exposureMs === undefined) throw new Error(`RPO unknown: ${cold?.detail}`);
    const mb = sizeBytes / 1_048_576;
    return {
      name: "etcd",
      figures: [
        { name: "snapshot size", value: mb, unit: "MB" },
        { name: "job: save, verify, copy, verify, retain (median)", value: median(jobMs), unit: "ms" },
        { name: "  health check over TLS (median)", value: median(phases.connect), unit: "ms" },
        { name: "  etcdctl save + verify + manifest (median)", value: median(phases.save), unit: "ms" },
        { name: "  copy to DR + verify the copy (median)", value: median(phases.copy), unit: "ms" },
        { name: "  retention in both places (median)", value: median(phases.retain), unit: "ms" },
        { name: "verify one snapshot (SHA-256 x2, etcdutl status)", value: verifyMs, unit: "ms" },
        { name: "verify throughput", value: mb / (verifyMs / 1000), unit: "MB/s" },
        { name: "RPO reading, cold", value: coldMs, unit: "ms", target: { op: "<", value: 2_000 } },
        {
          name: "RPO reading, cached (median)",
          value: median(warm),
          unit: "ms",
          target: { op: "<", value: 50 },
        },
      ],
      notes: [`${KEYS} keys of ${VALUE_BYTES} bytes; ${ROUNDS} jobs, retention count 2; 2 shared cores`],
    };
  } finally {
    await rm(join(etcd.dir, "backups"), { recursive: true, force: true });
    await etcd.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Puts the keys through etcd's JSON gateway, 16 at a time, with the client certificate. */
async function fill(
  endpoint: string,
  tls: { caFile: string; certFile: string; keyFile: string },
): Promise<void> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: await readFile(tls.caFile),
    cert: await readFile(tls.certFile),
    key: await readFile(tls.keyFile),
  });
  const value = Buffer.alloc(VALUE_BYTES, "x").toString("base64");
  const put = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ key: Buffer.from(`/registry/bench/key-${i}`).toString("base64"), value });
      const req = request(
        new URL("/v3/kv/put", endpoint),
        {
          method: "POST",
          agent,
          signal: AbortSignal.timeout(30_000),
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`put ${i}: ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < KEYS) await put(next++);
    }),
  );
  agent.destroy();
}
