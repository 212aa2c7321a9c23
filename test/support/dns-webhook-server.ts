import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { DnsWeights } from "../../src/domain/dns-weights.js";

/**
 * A small DNS webhook on 127.0.0.1 for tests: POST stores the weights it is sent (drbot's
 * {"records":[…]} document), GET reports them. `behaviour` turns it into the failures a real
 * endpoint has: it accepts and ignores writes, answers an error, or never answers.
 */
export interface DnsWebhookServer {
  url: string;
  weights: DnsWeights;
  requests: Array<{ method: string; authorization: string | undefined; body: string }>;
  behaviour: "normal" | "ignore-writes" | "fail-writes" | "hang";
  close(): Promise<void>;
}

export async function startDnsWebhookServer(initial: DnsWeights): Promise<DnsWebhookServer> {
  const hung = new Set<ServerResponse>();
  const state: DnsWebhookServer = {
    url: "",
    weights: structuredClone(initial),
    requests: [],
    behaviour: "normal",
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      state.requests.push({ method: req.method ?? "", authorization: req.headers.authorization, body });
      if (state.behaviour === "hang") {
        hung.add(res);
        return;
      }
      if (req.method === "GET") {
        const records = Object.entries(state.weights).map(([name, weights]) => ({ name, weights }));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ records }));
        return;
      }
      if (req.method !== "POST") return void res.writeHead(405).end();
      if (state.behaviour === "fail-writes")
        return void res.writeHead(503).end("zone is locked for maintenance\nsecond line");
      if (state.behaviour === "normal") {
        const doc = JSON.parse(body) as { records: Array<{ name: string; weights: Record<string, number> }> };
        for (const r of doc.records) state.weights[r.name] = { ...state.weights[r.name], ...r.weights };
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/dns/weights`;
  return state;
}
