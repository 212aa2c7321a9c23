import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { execa } from "execa";

/**
 * An https health endpoint on 127.0.0.1 whose certificate, for `localhost`, is issued by a CA of
 * its own (made with openssl in a temporary directory) and valid for `days` from now: what the
 * readiness check of the standby's certificates reads. It completes TLS handshakes and answers
 * nothing else.
 */
export interface TlsEndpoint {
  url: string;
  /** The CA that issued the certificate (PEM), for a reader that should trust it. */
  ca: string;
  close(): Promise<void>;
}

export async function startTlsEndpoint(days: number): Promise<TlsEndpoint> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-tls-"));
  const ssl = (...args: string[]) => execa("openssl", args, { cwd: dir, timeout: 30_000, stdin: "ignore" });
  await ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "30",
    "-subj",
    "/CN=drbot test CA",
  );
  await ssl(
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=localhost",
  );
  await writeFile(join(dir, "leaf.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await ssl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.crt",
    "-days",
    String(days),
    "-extfile",
    "leaf.ext",
  );
  const [key, cert, ca] = await Promise.all(
    ["leaf.key", "leaf.crt", "ca.crt"].map((f) => readFile(join(dir, f), "utf8")),
  );
  const server: Server = createServer({ key: key!, cert: cert! }, (socket) => socket.end());
  server.on("tlsClientError", () => undefined); // a client that gives up mid-handshake is no failure here
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}/healthz`,
    ca: ca!,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
