import { createHash } from "node:crypto";
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { EtcdError } from "../../../src/adapters/etcd/etcd-error.js";
import { EtcdSnapshotService } from "../../../src/adapters/etcd/etcd-snapshot-service.js";
import { etcdTools } from "../../../src/adapters/etcd/etcd-tools.js";
import { readEtcdRpo } from "../../../src/adapters/etcd/read-etcd-rpo.js";
import {
  type EtcdSourceConfig,
  runEtcdSnapshotJob,
} from "../../../src/adapters/etcd/run-etcd-snapshot-job.js";
import { verifyEtcdSnapshot } from "../../../src/adapters/etcd/verify-etcd-snapshot.js";
import { ExecaCommandRunner } from "../../../src/adapters/execa/execa-command-runner.js";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { configSchema, dataSourceSchema } from "../../../src/domain/config.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { etcdSnapshotStep } from "../../../src/engine/step-kinds/etcd-snapshot.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import type { CommandRunner } from "../../../src/ports/command-runner.js";
import { type EtcdServer, startEtcdServer } from "../../support/etcd-server.js";
import { createProvenRuntime } from "../../support/proven-runtime.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The seed's script 02 against a real etcd that requires client certificates: save, verify, copy to
 * DR storage, retention; and the ways a backup goes bad (flipped bytes, a cut-off file, the wrong
 * certificate, an endpoint that is gone or never answers) detected and never counted as good.
 */
let etcd: EtcdServer;
let work: string;
const commands = new ExecaCommandRunner();
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 25, 6, 0, 0);

beforeAll(async () => {
  etcd = await startEtcdServer();
  for (let i = 0; i < 20; i++) await etcd.put(`/registry/configmaps/production/app-${i}`, `value-${i}`);
});

afterAll(async () => {
  await etcd?.stop();
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-etcd-backups-"));
  return () => rm(work, { recursive: true, force: true });
});

function source(over: Record<string, unknown> = {}): EtcdSourceConfig {
  return dataSourceSchema.parse({
    name: "etcd-dc1",
    kind: "etcd",
    endpoints: [etcd.endpoint],
    snapshotDir: join(work, "local"),
    drDir: join(work, "dr"),
    ...etcd.tls,
    binDir: etcd.binDir,
    requestTimeout: "2s",
    ...over,
  }) as EtcdSourceConfig;
}

const snapshotsIn = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith(".db")).sort();
const sha256Of = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

async function flipBytes(file: string, at: number): Promise<void> {
  const handle = await open(file, "r+");
  try {
    const original = Buffer.alloc(8);
    await handle.read(original, 0, 8, at);
    await handle.write(Buffer.from(original.map((b) => b ^ 0xff)), 0, 8, at);
  } finally {
    await handle.close();
  }
}

async function rewriteFirst(file: string, from: string, to: string): Promise<void> {
  const bytes = await readFile(file);
  const at = bytes.indexOf(from);
  expect(at).toBeGreaterThan(0);
  const handle = await open(file, "r+");
  try {
    await handle.write(Buffer.from(to), 0, to.length, at);
  } finally {
    await handle.close();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<EtcdError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EtcdError);
    return error as EtcdError;
  }
  throw new Error("expected the job to fail");
}

describe("runEtcdSnapshotJob", () => {
  it("saves a snapshot over TLS with client certificates, verifies it and copies it to DR storage with its manifest and checksum", async () => {
    const lines: string[] = [];
    const report = await runEtcdSnapshotJob(source(), { commands, now: () => T0, log: (l) => lines.push(l) });

    expect(report.endpoint).toBe(etcd.endpoint);
    expect(report.snapshot.totalKeys).toBeGreaterThanOrEqual(20);
    expect(report.snapshot.revision).toBeGreaterThanOrEqual(21);
    const name = basename(report.snapshot.file);
    expect(name).toBe("etcd-snapshot-etcd-dc1-20261125-060000-000.db");
    expect(await snapshotsIn(join(work, "local"))).toEqual([name]);
    expect(report.drCopy).toEqual({ file: join(work, "dr", name), method: "copy" });
    expect(await sha256Of(join(work, "dr", name))).toBe(report.snapshot.sha256);
    expect(await sha256Of(report.snapshot.file)).toBe(report.snapshot.sha256);

    const manifest = JSON.parse(await readFile(`${report.snapshot.file}.json`, "utf8"));
    expect(manifest).toMatchObject({
      source: "etcd-dc1",
      file: name,
      sha256: report.snapshot.sha256,
      hash: report.snapshot.hash,
      revision: report.snapshot.revision,
      totalKeys: report.snapshot.totalKeys,
      takenAt: T0,
    });
    expect(await readFile(join(work, "dr", `${name}.sha256`), "utf8")).toBe(
      `${report.snapshot.sha256}  ${name}\n`,
    );
    // The checksum file is the one sha256sum checks, for people verifying by hand.
    const check = await execa("sha256sum", ["-c", `${name}.sha256`], {
      cwd: join(work, "dr"),
      reject: false,
    });
    expect(check.stdout).toBe(`${name}: OK`);
    expect(lines.some((l) => l.startsWith(`saved ${name}`))).toBe(true);
  });

  it("keeps only the newest snapshots up to the retention count, in the snapshot directory and in DR storage", async () => {
    const src = source({ retention: { count: 3, maxAge: "30d" } });
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const report = await runEtcdSnapshotJob(src, { commands, now: () => T0 + i * 3_600_000 });
      names.push(basename(report.snapshot.file));
      // One from the snapshot directory and one from DR storage each time a fourth good copy appears.
      if (i >= 3) expect(report.removed).toHaveLength(2);
    }
    expect(await snapshotsIn(join(work, "local"))).toEqual(names.slice(2));
    expect(await snapshotsIn(join(work, "dr"))).toEqual(names.slice(2));
    const left = await readdir(join(work, "dr"));
    expect(left.filter((n) => n.endsWith(".json"))).toHaveLength(3);
    expect(left.filter((n) => n.endsWith(".sha256"))).toHaveLength(3);
  });

  it("removes snapshots older than the maximum age even when fewer than the count are kept", async () => {
    const src = source({ retention: { count: 10, maxAge: "30d" } });
    const old = await runEtcdSnapshotJob(src, { commands, now: () => T0 });
    const recent = await runEtcdSnapshotJob(src, { commands, now: () => T0 + 20 * DAY });
    const fresh = await runEtcdSnapshotJob(src, { commands, now: () => T0 + 31 * DAY });

    expect(fresh.removed.map((r) => r.file).sort()).toEqual(
      [old.snapshot.file, join(work, "dr", basename(old.snapshot.file))].sort(),
    );
    expect(fresh.removed[0]?.why).toBe("older than 30d");
    expect(await snapshotsIn(join(work, "local"))).toEqual(
      [recent.snapshot.file, fresh.snapshot.file].map((f) => basename(f)),
    );
  });

  it("detects a snapshot whose data changed silently, which etcdutl status alone still reads, and never counts it as a good copy", async () => {
    const src = source({ retention: { count: 2, maxAge: "30d" } });
    const good = await runEtcdSnapshotJob(src, { commands, now: () => T0 });
    const damaged = await runEtcdSnapshotJob(src, { commands, now: () => T0 + 3_600_000 });
    const drFile = damaged.drCopy!.file;
    // A bit rot inside a stored value: bolt's pages stay well-formed, only the data is wrong.
    await rewriteFirst(drFile, "value-7", "valuE-7");
    await unlink(`${drFile}.json`); // without its manifest, only etcd's own hash can tell

    const status = await execa(join(etcd.binDir, "etcdutl"), ["snapshot", "status", drFile, "-w", "json"], {
      reject: false,
    });
    expect(status.exitCode).toBe(0);
    const verdict = await verifyEtcdSnapshot(etcdTools(commands, etcd.binDir), "etcd-dc1", drFile, {
      signal: AbortSignal.timeout(30_000),
      timeoutMs: 30_000,
    });
    expect(verdict).toEqual({
      ok: false,
      file: drFile,
      why: "corrupt: the database does not match etcd's embedded SHA-256",
    });

    // The next run keeps 2 good copies: the damaged one does not count and is reported.
    const next = await runEtcdSnapshotJob(src, { commands, now: () => T0 + 2 * 3_600_000 });
    expect(next.rejected).toEqual([{ file: drFile, why: verdict.ok ? "" : verdict.why }]);
    expect(await snapshotsIn(join(work, "dr"))).toEqual(
      [good.snapshot.file, damaged.snapshot.file, next.snapshot.file].map((f) => basename(f)),
    );
    expect(await snapshotsIn(join(work, "local"))).toEqual(
      [damaged.snapshot.file, next.snapshot.file].map((f) => basename(f)),
    );
  });

  it("detects a truncated snapshot and one whose bytes no longer match its manifest", async () => {
    const report = await runEtcdSnapshotJob(source({ drDir: undefined }), { commands, now: () => T0 });
    const tools = etcdTools(commands, etcd.binDir);
    const limits = { signal: AbortSignal.timeout(30_000), timeoutMs: 30_000 };

    await flipBytes(report.snapshot.file, 4096 + 100);
    expect(await verifyEtcdSnapshot(tools, "etcd-dc1", report.snapshot.file, limits)).toMatchObject({
      ok: false,
      why: "corrupt: the database does not match etcd's embedded SHA-256",
    });

    const cut = report.snapshot.sizeBytes - 1000;
    await truncate(report.snapshot.file, cut);
    expect(await verifyEtcdSnapshot(tools, "etcd-dc1", report.snapshot.file, limits)).toMatchObject({
      ok: false,
      why: `truncated or altered: ${cut} bytes, the manifest says ${report.snapshot.sizeBytes}`,
    });

    await unlink(`${report.snapshot.file}.json`);
    expect(await verifyEtcdSnapshot(tools, "etcd-dc1", report.snapshot.file, limits)).toMatchObject({
      ok: false,
      why: `truncated: ${cut} bytes is not whole pages plus etcd's 32-byte hash`,
    });
  });

  it("copies to DR storage with rsync when configured, and verifies the copy", async () => {
    const report = await runEtcdSnapshotJob(source({ copyWith: "rsync" }), { commands, now: () => T0 });
    expect(report.drCopy?.method).toBe("rsync");
    expect(await sha256Of(report.drCopy!.file)).toBe(report.snapshot.sha256);
  });

  it("falls back to a verified copy when rsync is configured but not installed", async () => {
    const withoutRsync: CommandRunner = {
      run: (file, args, options) =>
        commands.run(file === "rsync" ? join(work, "no-rsync") : file, args, options),
    };
    const lines: string[] = [];
    const report = await runEtcdSnapshotJob(source({ copyWith: "rsync" }), {
      commands: withoutRsync,
      now: () => T0,
      log: (l) => lines.push(l),
    });
    expect(report.drCopy?.method).toBe("copy");
    expect(lines).toContain("rsync is not installed here; copying and verifying instead");
    expect(await sha256Of(report.drCopy!.file)).toBe(report.snapshot.sha256);
  });

  it("refuses with a clear error when etcd does not accept drbot's client certificate, and leaves no file behind", async () => {
    const error = await failureOf(
      runEtcdSnapshotJob(source({ ...etcd.untrustedClient }), { commands, now: () => T0 }),
    );
    expect(error.failure).toBe("client_certificate_refused");
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(
      new RegExp(
        `^etcd etcd-dc1: could not connect \\(${etcd.endpoint}\\): the server refused drbot's client certificate \\(`,
      ),
    );
    await expect(readdir(join(work, "local"))).rejects.toThrow(/ENOENT/);
  });

  it("says so when the server's certificate is not signed by the configured CA", async () => {
    const error = await failureOf(
      runEtcdSnapshotJob(source({ caFile: etcd.untrustedClient.certFile }), { commands, now: () => T0 }),
    );
    expect(error.failure).toBe("server_certificate_untrusted");
    expect(error.message).toContain("the server's certificate is not trusted with caFile");
  });

  it("reports an endpoint where nothing listens as unreachable", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const error = await failureOf(
      runEtcdSnapshotJob(source({ endpoints: [`https://127.0.0.1:${closed}`] }), { commands, now: () => T0 }),
    );
    expect(error.failure).toBe("unreachable");
    expect(error.message).toContain("endpoint unreachable (ECONNREFUSED)");
  });

  it("gives up on an endpoint that accepts connections and never answers at the deadline", async () => {
    const sockets = new Set<Socket>();
    const hung = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const port = (hung.address() as { port: number }).port;
    try {
      const error = await failureOf(
        runEtcdSnapshotJob(source({ endpoints: [`https://127.0.0.1:${port}`], requestTimeout: "500ms" }), {
          commands,
          now: () => T0,
        }),
      );
      expect(error.failure).toBe("timeout");
      expect(error.code).toBe("timeout");
      expect(error.message).toBe(
        `etcd etcd-dc1: could not connect (https://127.0.0.1:${port}): no answer within 500 ms`,
      );
      expect(sockets.size).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });

  it("ends etcdctl at the job's deadline when etcd answers the health check and then stalls the snapshot", async () => {
    // A proxy that lets the first connection (drbot's health check) through and holds every later one;
    // all its sockets are destroyed afterwards, or closing it would wait for them.
    const etcdPort = Number(new URL(etcd.endpoint).port);
    const held = new Set<Socket>();
    let connections = 0;
    const proxy = createServer((client) => {
      connections++;
      held.add(client);
      if (connections > 1) return;
      const upstream = connect(etcdPort, "127.0.0.1");
      held.add(upstream);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as { port: number }).port;
    try {
      const error = await failureOf(
        runEtcdSnapshotJob(source({ endpoints: [`https://127.0.0.1:${port}`] }), {
          commands,
          now: () => T0,
          timeoutMs: 4_000,
        }),
      );
      expect(error.failure).toBe("timeout");
      expect(error.message).toMatch(
        new RegExp(`^etcd etcd-dc1: could not save a snapshot \\(https://127.0.0.1:${port}\\): `),
      );
      expect(connections).toBeGreaterThan(1);
      expect(await readdir(join(work, "local"))).toEqual([]);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("takes the next endpoint when the first does not answer", async () => {
    const report = await runEtcdSnapshotJob(
      source({ endpoints: ["https://127.0.0.1:1", etcd.endpoint], drDir: undefined }),
      { commands, now: () => T0 },
    );
    expect(report.endpoint).toBe(etcd.endpoint);
  });

  it("names an unreadable key file without reading anything of it into the message", async () => {
    const missing = join(work, "missing-client.key");
    const error = await failureOf(
      runEtcdSnapshotJob(source({ keyFile: missing }), { commands, now: () => T0 }),
    );
    expect(error.failure).toBe("tls_files_unreadable");
    expect(error.message).toBe(`etcd etcd-dc1: could not read the TLS files (${missing}): ENOENT`);
  });

  it("names the missing tool when etcdctl is not installed", async () => {
    const error = await failureOf(
      runEtcdSnapshotJob(source({ binDir: join(work, "no-bin") }), { commands, now: () => T0 }),
    );
    expect(error.failure).toBe("tool_missing");
    expect(error.message).toContain(`${join(work, "no-bin", "etcdctl")} is not installed or not executable`);
  });
});

describe("readEtcdRpo", () => {
  it("is unknown, with the reason, when there is no snapshot yet", async () => {
    const reading = await readEtcdRpo(source(), { commands, now: T0 });
    expect(reading).toEqual({
      source: "etcd-dc1",
      kind: "etcd",
      exposureMs: undefined,
      at: T0,
      detail: `no snapshot of etcd-dc1 in DR storage (${join(work, "dr")})`,
    });
  });

  it("is the age of the newest verified DR copy, skipping and naming newer ones that do not verify", async () => {
    const src = source();
    const older = await runEtcdSnapshotJob(src, { commands, now: () => T0 });
    const newer = await runEtcdSnapshotJob(src, { commands, now: () => T0 + 3_600_000 });

    const fresh = await readEtcdRpo(src, { commands, now: T0 + 2 * 3_600_000 });
    expect(fresh.exposureMs).toBe(3_600_000);
    expect(fresh.detail).toContain(
      `newest verified snapshot in DR storage ${basename(newer.snapshot.file)}, 1h old`,
    );

    await flipBytes(newer.drCopy!.file, Math.floor(newer.snapshot.sizeBytes / 2));
    const reading = await readEtcdRpo(src, { commands, now: T0 + 2 * 3_600_000 });
    expect(reading.exposureMs).toBe(2 * 3_600_000);
    expect(reading.detail).toContain(basename(older.snapshot.file));
    expect(reading.detail).toContain(
      `newer ones did not verify: ${basename(newer.snapshot.file)}: corrupt: the database does not match etcd's embedded SHA-256`,
    );
  });

  it("is unknown when the only copy is truncated", async () => {
    const src = source();
    const only = await runEtcdSnapshotJob(src, { commands, now: () => T0 });
    await truncate(only.drCopy!.file, 4096);
    const reading = await readEtcdRpo(src, { commands, now: T0 + 60_000 });
    expect(reading.exposureMs).toBeUndefined();
    expect(reading.detail).toBe(
      `no snapshot in DR storage (${join(work, "dr")}) verifies: ${basename(only.snapshot.file)}: truncated or altered: 4096 bytes, the manifest says ${only.snapshot.sizeBytes}`,
    );
  });
});

describe("the etcd.snapshot step", () => {
  function stepContextFor(etcdService: EtcdSnapshotService, stepId: string, lines: string[]): StepContext {
    const ctx = stepContext(etcdService.config, { services: { commands, etcd: etcdService }, lines });
    return { ...ctx, run: { ...ctx.run, id: "verify-1125-0600-abc123" }, step: { ...ctx.step, id: stepId } };
  }

  function service(keep = 10) {
    return new EtcdSnapshotService(
      configSchema.parse({
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
            snapshotDir: join(work, "local"),
            drDir: join(work, "dr"),
            ...etcd.tls,
            binDir: etcd.binDir,
            retention: { count: keep },
          },
        ],
      }),
      commands,
    );
  }

  it("takes a verified snapshot and, after a crash, observes that this step's snapshot and its DR copy hold", async () => {
    const etcdService = service();
    const log: string[] = [];
    const ctx = stepContextFor(etcdService, "etcd-snapshot", log);
    expect((await etcdSnapshotStep.observe!(ctx, { source: "etcd-dc1" })).holds).toBe(false);

    const result = await etcdSnapshotStep.execute(ctx, { source: "etcd-dc1" });
    expect(result.status).toBe("succeeded");
    expect(result.output).toMatch(
      /^etcd-snapshot-etcd-dc1-\S+\.db from https:\/\/127\.0\.0\.1:\d+: revision \d+, \d+ keys, hash \d+, verified; copied to .* \(copy\) and verified; 0 removed by retention$/,
    );

    const observed = await etcdSnapshotStep.observe!(ctx, { source: "etcd-dc1" });
    expect(observed.holds).toBe(true);
    expect(observed.evidence).toContain("verifies, and so does its DR copy");
    const other = await etcdSnapshotStep.observe!(stepContextFor(etcdService, "another-step", []), {
      source: "etcd-dc1",
    });
    expect(other).toEqual({ holds: false, evidence: `no snapshot of this step in ${join(work, "local")}` });

    const [name] = await snapshotsIn(join(work, "dr"));
    await flipBytes(join(work, "dr", name!), 5000);
    const broken = await etcdSnapshotStep.observe!(ctx, { source: "etcd-dc1" });
    expect(broken.holds).toBe(false);
    expect(broken.evidence).toContain("verifies but its DR copy does not");
  });

  it("runs one job per source at a time, so concurrent snapshots never see each other's files half done", async () => {
    const etcdService = service(1);
    const signal = AbortSignal.timeout(60_000);
    const reports = await Promise.all([
      etcdService.take("etcd-dc1", { signal }),
      etcdService.take("etcd-dc1", { signal }),
      etcdService.take("etcd-dc1", { signal }),
    ]);
    for (const r of reports) expect(r.rejected).toEqual([]);
    expect(await snapshotsIn(join(work, "local"))).toEqual([basename(reports[2]!.snapshot.file)]);
    expect(await snapshotsIn(join(work, "dr"))).toEqual([basename(reports[2]!.snapshot.file)]);
  });

  it("replaces the declared etcd.snapshot kind in the registry, with the parameters the shipped runbooks use", () => {
    const registry = createStepKindRegistry();
    expect(registry.get("etcd.snapshot")).toBe(etcdSnapshotStep);
    expect(registry.describe("etcd.snapshot")?.parse({ source: "etcd-dc1" })).toEqual({
      ok: true,
      value: { source: "etcd-dc1" },
    });
  });

  it("fails the step with the adapter's reason when the source is not configured", async () => {
    const result = await etcdSnapshotStep.execute(stepContextFor(service(), "s", []), { source: "etcd-dc9" });
    expect(result).toEqual({
      status: "failed",
      error: 'no etcd data source named "etcd-dc9"; known: etcd-dc1',
    });
  });
});

it("keeps snapshot files private to the owner", async () => {
  const report = await runEtcdSnapshotJob(source(), { commands, now: () => T0 });
  expect((await stat(report.snapshot.file)).mode & 0o077).toBe(0);
  expect((await stat(report.drCopy!.file)).mode & 0o077).toBe(0);
});

describe("in the runtime", () => {
  it("runs a verify runbook whose etcd.snapshot step saves a verified snapshot, and status reads its RPO", async () => {
    const runbooks = join(work, "runbooks");
    await mkdir(runbooks);
    await writeFile(
      join(runbooks, "etcd-check.yaml"),
      stringify({
        name: "etcd-check",
        title: "etcd snapshot check",
        kind: "verify",
        phases: [
          {
            name: "verify",
            steps: [
              {
                id: "etcd-snapshot",
                title: "etcd snapshot",
                kind: "etcd.snapshot",
                with: { source: "etcd-dc1" },
              },
            ],
          },
        ],
      }),
    );
    const configPath = join(work, "drbot.yaml");
    await writeFile(
      configPath,
      stringify({
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
            snapshotDir: join(work, "local"),
            drDir: join(work, "dr"),
            ...etcd.tls,
            binDir: etcd.binDir,
          },
        ],
        slack: { permissions: { verify: { requesters: { users: ["U0ONCALL"] } } } },
      }),
    );
    const rt = await createProvenRuntime({
      configPath,
      runbooksDir: runbooks,
      store: new MemoryRunStore({ now: () => Date.now() }),
    });
    try {
      const before = await rt.service.rpo();
      expect(before[0]?.readings[0]).toMatchObject({ source: "etcd-dc1", exposureMs: undefined });
      expect(before[0]?.withinTarget).toBe(false);

      const { run } = await rt.service.request({
        actor: "U0ONCALL",
        runbook: "etcd-check",
        targets: ["payments"],
        reason: "weekly verification",
        source: "cli",
      });
      await waitFor(async () => (await rt.store.getRun(run.id))?.state === "completed", {
        timeoutMs: 30_000,
        description: "the verify run to complete",
      });
      const step = (await rt.store.getSteps(run.id)).get("etcd-snapshot");
      expect(step?.output).toContain("verified; copied to");

      const after = await rt.service.rpo();
      expect(after[0]?.withinTarget).toBe(true);
      expect(after[0]?.readings[0]?.detail).toContain(
        "newest verified snapshot in DR storage etcd-snapshot-etcd-dc1-",
      );
    } finally {
      await rt.close();
    }
  });
});
