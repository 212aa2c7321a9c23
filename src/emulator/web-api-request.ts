import type { IncomingMessage } from "node:http";

/**
 * Reading a Web API call the way Slack does: arguments from the query string and from a form,
 * multipart or JSON body; the token from `Authorization: Bearer` or, for form bodies only, a `token`
 * argument (Slack ignores a token inside a JSON body). @slack/web-api sends form bodies with objects
 * such as `blocks` JSON-encoded inside a field, so handlers decode those with `jsonArg`.
 */
export type ApiArgs = Record<string, unknown>;

export type ParsedApiCall =
  | { ok: true; args: ApiArgs; token?: string }
  | { ok: false; error: "invalid_json" | "invalid_form_data" };

export async function parseApiCall(req: IncomingMessage, url: URL, raw: Buffer): Promise<ParsedApiCall> {
  const args: ApiArgs = Object.fromEntries(url.searchParams);
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? "")?.[1];
  if (raw.length > 0) {
    if (contentType.startsWith("application/json")) {
      try {
        const body: unknown = JSON.parse(raw.toString("utf8"));
        if (typeof body !== "object" || body === null) return { ok: false, error: "invalid_json" };
        Object.assign(args, body);
        delete args.token;
      } catch {
        // Slack's own answer to a JSON body that does not parse.
        return { ok: false, error: "invalid_json" };
      }
    } else if (contentType.startsWith("multipart/form-data")) {
      try {
        const form = await readMultipart(contentType, raw);
        for (const [key, value] of form) args[key] = value;
      } catch {
        // Slack's own answer to a multipart body that does not parse.
        return { ok: false, error: "invalid_form_data" };
      }
    } else {
      Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString("utf8"))));
    }
  }
  const token = bearer ?? (typeof args.token === "string" && args.token ? args.token : undefined);
  return token ? { ok: true, args, token } : { ok: true, args };
}

/** Multipart bodies parsed by the platform's own FormData reader (undici), as real uploads are. */
export function readMultipart(contentType: string, raw: Buffer): Promise<FormData> {
  return new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function stringArg(args: ApiArgs, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : String(value);
}

export function boolArg(args: ApiArgs, name: string): boolean {
  const value = args[name];
  return value === true || value === "true" || value === "1";
}

/** A structured argument: JSON text inside a form field, or the value itself from a JSON body. */
export function jsonArg(args: ApiArgs, name: string): { ok: true; value: unknown } | { ok: false } {
  const value = args[name];
  if (typeof value !== "string") return { ok: true, value };
  if (value === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    // The caller answers as Slack does for that argument (invalid_blocks, invalid_arguments).
    return { ok: false };
  }
}
