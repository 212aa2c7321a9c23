import { readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { describeError } from "../../domain/errors.js";
import { EtcdError, type EtcdFailure } from "./etcd-error.js";

export interface EtcdTls {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export interface ProbeResult {
  endpoint: string;
  /** etcd's own /health answer ("true" with a leader); a member without one still serves snapshots. */
  health: string;
}

/**
 * Asks each endpoint for /health over the same TLS client identity etcdctl will use, and returns
 * the first that answers. etcdctl reports a refused client certificate as "context deadline
 * exceeded … broken pipe" after its whole command timeout; this handshake says plainly which side
 * refused whom, within `timeoutMs` per endpoint.
 */
export async function probeEtcdEndpoints(
  source: string,
  endpoints: readonly string[],
  tls: EtcdTls,
  limits: { signal: AbortSignal; timeoutMs: number },
): Promise<ProbeResult> {
  const identity = await readTls(source, tls);
  const failures: EtcdError[] = [];
  for (const endpoint of endpoints) {
    try {
      return await probeOne(source, endpoint, identity, limits);
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      failures.push(error);
      if (limits.signal.aborted) break;
    }
  }
  const first = failures[0];
  if (!first || failures.length === 1)
    throw first ?? new EtcdError("unreachable", { source, operation: "connect" }, "no endpoint");
  throw new EtcdError(
    first.failure,
    { source, operation: "connect to any endpoint" },
    failures.map((f) => f.message.replace(/^etcd [^:]+: /, "")).join("; "),
  );
}

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

async function readTls(source: string, tls: EtcdTls): Promise<TlsMaterial> {
  const material: TlsMaterial = {};
  for (const [field, path] of [
    ["ca", tls.caFile],
    ["cert", tls.certFile],
    ["key", tls.keyFile],
  ] as const) {
    if (!path) continue;
    try {
      material[field] = await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? describeError(error);
      throw new EtcdError(
        "tls_files_unreadable",
        { source, operation: "read the TLS files", at: path },
        code,
      );
    }
  }
  return material;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const SERVER_UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function probeOne(
  source: string,
  endpoint: string,
  identity: TlsMaterial,
  limits: { signal: AbortSignal; timeoutMs: number },
): Promise<ProbeResult> {
  const where = { source, operation: "connect", at: endpoint };
  const url = new URL("/health", endpoint);
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = AbortSignal.any([timeout, limits.signal]);
  const secure = url.protocol === "https:";
  let handshakeDone = false;
  return new Promise<ProbeResult>((resolve, reject) => {
    const fail = (failure: EtcdFailure, detail: string, cause?: unknown) =>
      reject(new EtcdError(failure, where, detail, cause === undefined ? {} : { cause }));
    if (signal.aborted) return fail("timeout", "no time left before the deadline");
    const options = { method: "GET", signal, headers: { accept: "application/json" } };
    const req = secure
      ? httpsRequest(url, { ...options, ...identity, rejectUnauthorized: true, agent: false })
      : httpRequest(url, { ...options, agent: false });
    req.on("socket", (socket) =>
      socket.once("secureConnect", () => {
        handshakeDone = true;
      }),
    );
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        if (chunks.length < 16) chunks.push(c);
      });
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8").slice(0, 200);
        const health = /"health"\s*:\s*"?(\w+)/.exec(body)?.[1] ?? `HTTP ${res.statusCode}`;
        resolve({ endpoint, health });
      });
      res.on("error", (error) =>
        fail("unreachable", `the answer broke off (${describeError(error)})`, error),
      );
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? "";
      if (timeout.aborted) return fail("timeout", `no answer within ${limits.timeoutMs} ms`, error);
      if (error.name === "AbortError" || signal.aborted)
        return fail("timeout", "stopped: the caller gave up (run aborted or its deadline passed)", error);
      if (UNREACHABLE.has(code)) return fail("unreachable", `endpoint unreachable (${code})`, error);
      if (SERVER_UNTRUSTED.has(code))
        return fail(
          "server_certificate_untrusted",
          `the server's certificate is not trusted with caFile (${code})`,
          error,
        );
      // The server checks our certificate after the handshake finished from our side (TLS 1.3):
      // an alert, or the connection simply closed, means it refused the client certificate.
      if (/ALERT/.test(code) || (handshakeDone && (code === "ECONNRESET" || code === "EPIPE")))
        return fail(
          "client_certificate_refused",
          `the server refused drbot's client certificate (${code || describeError(error)}); check certFile and keyFile against the etcd client CA`,
          error,
        );
      return fail("unreachable", `${code || describeError(error)}`, error);
    });
    req.end();
  });
}
