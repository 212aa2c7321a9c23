import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Result, type ResultPromise } from "execa";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/**
 * A real etcd for a test file, secured like the seed's RKE2 etcd: TLS on the client port and client
 * certificates required (--client-cert-auth). The certificates are made with openssl in a temporary
 * directory: a CA, a server certificate for 127.0.0.1, a client certificate signed by the CA, and a
 * client certificate from another CA that etcd must refuse. etcd, etcdctl and etcdutl come from the
 * scripts/k8s-build cache; when they are missing this fails saying how to build them.
 */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EtcdServer {
  endpoint: string;
  dir: string;
  binDir: string;
  tls: TlsFiles;
  /** A client identity from a CA etcd does not trust. */
  untrustedClient: TlsFiles;
  /** Writes a key through etcdctl with the trusted client certificate. */
  put(key: string, value: string): Promise<void>;
  stop(): Promise<void>;
}

const ETCD_BINARIES = ["etcd", "etcdctl", "etcdutl"];

export async function requireEtcdBinaries(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const bin =
    (await execa("bash", ["scripts/k8s-build", "bin-dir"], { env, extendEnv: false })).stdout
      .trim()
      .split("\n")
      .pop() ?? "";
  const missing: string[] = [];
  for (const name of ETCD_BINARIES) {
    try {
      await access(join(bin, name));
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0)
    throw new Error(
      `etcd test binaries missing in ${bin}: ${missing.join(", ")}. ` +
        "Build them once with `bash scripts/k8s-build etcd` (Go >= 1.24 and the Go module proxy).",
    );
  return bin;
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await execa("openssl", args, { cwd, timeout: 30_000, stdin: "ignore" });
}

async function issue(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  extensions: string,
): Promise<TlsFiles> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await openssl(dir, "genrsa", "-out", keyFile, "2048");
  await openssl(
    dir,
    "req",
    "-new",
    "-key",
    keyFile,
    "-out",
    join(dir, `${name}.csr`),
    "-subj",
    `/CN=${name}`,
  );
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    join(dir, `${name}.csr`),
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "2",
    "-extfile",
    join(dir, `${name}.ext`),
  );
  return { caFile: ca.cert, certFile, keyFile };
}

async function authority(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  );
  return { cert, key };
}

export async function startEtcdServer(): Promise<EtcdServer> {
  const binDir = await requireEtcdBinaries();
  const dir = await mkdtemp(join(tmpdir(), "drbot-etcd-"));
  const pki = join(dir, "pki");
  await mkdir(pki);
  const ca = await authority(pki, "etcd-ca");
  const server = await issue(
    pki,
    "etcd-server",
    ca,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  const client = await issue(pki, "drbot-client", ca, "extendedKeyUsage=clientAuth\n");
  const otherCa = await authority(pki, "other-ca");
  const intruder = await issue(pki, "intruder-client", otherCa, "extendedKeyUsage=clientAuth\n");

  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `https://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ResultPromise<{ stdin: "ignore"; all: true; reject: false }> = execa(
    join(binDir, "etcd"),
    [
      "--name=drbot-test",
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=drbot-test=${peer}`,
      `--cert-file=${server.certFile}`,
      `--key-file=${server.keyFile}`,
      `--trusted-ca-file=${ca.cert}`,
      "--client-cert-auth",
      "--log-level=warn",
    ],
    { stdin: "ignore", all: true, reject: false },
  );
  let exited: Result | undefined;
  void child.then((r) => {
    exited = r;
  });
  const tls: TlsFiles = { caFile: ca.cert, certFile: client.certFile, keyFile: client.keyFile };
  const etcdctl = (...args: string[]) =>
    execa(
      join(binDir, "etcdctl"),
      [
        `--endpoints=${endpoint}`,
        `--cacert=${tls.caFile}`,
        `--cert=${tls.certFile}`,
        `--key=${tls.keyFile}`,
        "--dial-timeout=2s",
        "--command-timeout=5s",
        ...args,
      ],
      { reject: false, timeout: 10_000, stdin: "ignore" },
    );
  const stop = async () => {
    child.kill("SIGTERM");
    await child;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`etcd stopped while starting: ${String(exited.all ?? "").slice(-2000)}`);
        return (await etcdctl("endpoint", "health")).exitCode === 0;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `etcd to answer on ${endpoint}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    dir,
    binDir,
    tls,
    untrustedClient: { caFile: ca.cert, certFile: intruder.certFile, keyFile: intruder.keyFile },
    async put(key, value) {
      const r = await etcdctl("put", key, value);
      if (r.exitCode !== 0) throw new Error(`etcdctl put ${key} failed: ${r.stderr}`);
    },
    stop,
  };
}
