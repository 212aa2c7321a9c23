import { createServer } from "node:http";
import type { Runtime } from "../runtime/create-runtime.js";
import type { CliIo } from "./main.js";

/**
 * `drbot serve`: the long-running process. Takes over runs whose owner died, expires stale
 * requests, and answers /healthz and /readyz. The Slack surface plugs in here.
 */
export async function serve(rt: Runtime, io: CliIo): Promise<number> {
  const port = Number(io.env.PORT ?? 3000);
  let ready = false;
  const server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    if (req.url === "/readyz") {
      void rt.store
        .kvGet("readyz")
        .then(() =>
          res
            .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
            .end(ready ? "ready\n" : "starting\n"),
        )
        .catch(() => res.writeHead(503, { "content-type": "text/plain" }).end("store unavailable\n"));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, io.env.BIND_ADDRESS ?? "0.0.0.0", resolve));
  io.out(`drbot serving on :${port} (engine owner ${rt.engine.ownerId})`);
  const supervise = async () => {
    try {
      await rt.service.supervise();
      ready = true;
    } catch (error) {
      ready = false;
      io.err(`supervisor: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await supervise();
  const timer = setInterval(
    () => void supervise(),
    Math.max(1000, Math.floor(rt.config.engine.leaseTtl / 2)),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(timer);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}
