import type { IncomingMessage, ServerResponse } from "node:http";
import { receiveUpload } from "./file-methods.js";
import type { ResponseUrls } from "./response-urls.js";
import type { WebApiDispatcher } from "./web-api-dispatcher.js";
import { readBody } from "./web-api-request.js";
import type { WebPage } from "./web-page.js";
import type { WorkspaceState } from "./workspace-state.js";

/**
 * The emulator's HTTP front: the Web API under /api/, response_urls, file uploads, then the web page
 * when there is one. An emulator bug answers 500 with its reason, so it surfaces in the test.
 */
export async function routeEmulatorRequest(
  req: IncomingMessage,
  res: ServerResponse,
  to: {
    origin: string;
    api: WebApiDispatcher;
    responseUrls: ResponseUrls;
    state: WorkspaceState;
    page?: WebPage;
  },
): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", to.origin);
    const raw = await readBody(req);
    if (url.pathname.startsWith("/api/")) return await to.api.handle(req, res, url, raw);
    if (req.method === "POST" && url.pathname.startsWith("/response/"))
      return to.responseUrls.handle(url.pathname.slice("/response/".length), raw, res);
    if (req.method === "POST" && url.pathname.startsWith("/upload/")) {
      const fileId = url.pathname.slice("/upload/".length);
      const answer = await receiveUpload(to.state, fileId, req.headers["content-type"] ?? "", raw);
      res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
      return;
    }
    if (to.page && (await to.page.handle(req, res, url, raw))) return;
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  } catch (error) {
    // An emulator bug must surface in the test, not hang it: answer 500 with the reason.
    if (!res.headersSent)
      res
        .writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: false, error: "emulator_error", detail: String(error) }));
  }
}
