import { Agent, request as httpRequest } from "node:http";
import { type AppAck, classifyAck } from "./app-ack.js";

/**
 * Delivers interactions to the app's Request URL the way Slack does: a POST with the exact content
 * type `application/x-www-form-urlencoded` (Bolt compares it with ===, so no charset), Slack's user
 * agent, and the signature headers the caller computed over these exact bytes.
 *
 * Connections are kept open and reused, as Slack's senders keep theirs to an app they send to
 * (and as any HTTP client with a pool does): a delivery takes an idle connection or opens one, and
 * the server's Keep-Alive hint bounds how long an idle one is kept. The ack is timed from handing the
 * request over to the arrival of the response's status and headers, with Node's own HTTP client
 * (WHATWG fetch cost the sender more CPU per request than the app spent acking it, which a crowd of
 * deliveries from one process turned into latency charged to the app).
 */
export class HttpDelivery {
  private readonly agent = new Agent({ keepAlive: true });

  async deliver(
    request: { url: string; body: string; headers: Record<string, string> },
    timing: { ackTimeoutMs: number; ackObserveMs: number },
  ): Promise<AppAck> {
    const started = performance.now();
    const body = Buffer.from(request.body, "utf8");
    return await new Promise<AppAck>((resolve) => {
      let ackMs: number | undefined;
      const fail = (error: Error) => {
        const waited = ackMs ?? performance.now() - started;
        const timedOut = error.name === "TimeoutError" || error.name === "AbortError";
        resolve({
          outcome: timedOut ? "timeout" : "unreachable",
          timedOut,
          status: 0,
          ackMs: waited,
          body: "",
        });
      };
      const req = httpRequest(request.url, {
        method: "POST",
        agent: this.agent,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
          accept: "application/json,*/*",
          "content-length": String(body.length),
          ...request.headers,
        },
        signal: AbortSignal.timeout(timing.ackObserveMs),
      });
      req.once("error", fail);
      req.once("response", (res) => {
        // The ack is the response's arrival; its body follows on the same connection.
        const acked = performance.now() - started;
        ackMs = acked;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("error", fail);
        res.once("end", () => {
          const status = res.statusCode ?? 0;
          const contentType = res.headers["content-type"];
          resolve({
            ...classifyAck(status, acked, timing.ackTimeoutMs),
            status,
            ackMs: acked,
            body: Buffer.concat(chunks).toString("utf8"),
            ...(contentType ? { contentType } : {}),
          });
        });
      });
      req.end(body);
    });
  }

  /** Closes every kept connection (the emulator's stop). */
  close(): void {
    this.agent.destroy();
  }
}
