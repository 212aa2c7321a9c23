import type { ServerResponse } from "node:http";
import type { StoredFile, WorkspaceState } from "./workspace-state.js";

/**
 * The files the app uploaded, as the page shows them under their message the way Slack's client
 * does: a picture inline, a Markdown file as a rendered preview, anything else (the JSON report) as a
 * download. The bytes are served from the page's own origin with headers that keep them inert: no
 * content sniffing, a sandboxing Content-Security-Policy (an SVG opened on its own runs no script),
 * and a download for every kind the page does not preview.
 */
export type FilePreview = "image" | "markdown" | "download";

export interface PageFile {
  id: string;
  name: string;
  title: string;
  size: number;
  preview: FilePreview;
  url: string;
}

const KINDS: Array<{ suffix: RegExp; preview: FilePreview; type: string }> = [
  { suffix: /\.svg$/i, preview: "image", type: "image/svg+xml" },
  { suffix: /\.png$/i, preview: "image", type: "image/png" },
  { suffix: /\.jpe?g$/i, preview: "image", type: "image/jpeg" },
  { suffix: /\.gif$/i, preview: "image", type: "image/gif" },
  { suffix: /\.md$/i, preview: "markdown", type: "text/markdown; charset=utf-8" },
  { suffix: /\.json$/i, preview: "download", type: "application/json; charset=utf-8" },
  { suffix: /\.(txt|log)$/i, preview: "download", type: "text/plain; charset=utf-8" },
];
const OTHER = { preview: "download" as const, type: "application/octet-stream" };

const kindOf = (filename: string) => KINDS.find((k) => k.suffix.test(filename)) ?? OTHER;

/** The message's shared files, in the order they were uploaded; ones still uploading are left out. */
export function pageFiles(state: WorkspaceState, fileIds: readonly string[]): PageFile[] {
  return fileIds.flatMap((id) => {
    const file = state.files.get(id);
    if (!file?.completed || file.content === undefined) return [];
    return [
      {
        id,
        name: file.filename,
        title: file.title,
        size: file.content.length,
        preview: kindOf(file.filename).preview,
        url: `/page/files/${encodeURIComponent(id)}`,
      },
    ];
  });
}

/** GET /page/files/ID: the file's bytes; 404 for an unknown id or an upload not completed. */
export function serveFile(state: WorkspaceState, id: string, res: ServerResponse): void {
  const file: StoredFile | undefined = state.files.get(id);
  if (!file?.completed || file.content === undefined) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("file_not_found");
    return;
  }
  const kind = kindOf(file.filename);
  const headers: Record<string, string> = {
    "content-type": kind.type,
    "content-length": String(file.content.length),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  };
  if (kind.preview === "download")
    headers["content-disposition"] = `attachment; filename="${file.filename.replace(/[^\w.-]/g, "_")}"`;
  res.writeHead(200, headers).end(file.content);
}
