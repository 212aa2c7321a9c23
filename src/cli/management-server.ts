import { createServer, type Server } from "node:http";
import type { Logger } from "../ports/logger.js";
import type { Route } from "./serve-routes.js";

export interface ManagementServer {
  /** The port it listens on (the one asked for, or the one the system gave for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The management listener: /healthz, /readyz and /metrics on a port of their own (MANAGEMENT_PORT),
 * apart from the port Slack posts to, so probes and Prometheus reach them without going through
 * the public ingress, and a NetworkPolicy can admit only the monitoring namespace. GET and HEAD
 * only; anything else is 405, an unknown path 404. A handler that throws answers 500 and is logged.
 */
export async function startManagementServer(
  routes: Route[],
  options: { port: number; host: string; log: Logger },
): Promise<ManagementServer> {
  const server: Server = createServer((req, res) => {
    const route = routes.find((r) => r.path === (req.url ?? "").split("?")[0]);
    if (!route) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    if (req.method !== "GET" && req.method !== "HEAD")
      return void res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end();
    Promise.resolve()
      .then(() => route.handler(res))
      .catch((error: unknown) => {
        options.log.error(`the management endpoint ${route.path} failed`, {
          operation: "serve.management",
          err: error,
        });
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`${route.path} failed; see drbot's log\n`);
      });
  });
  // A probe or scraper that opens a connection and never sends must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
