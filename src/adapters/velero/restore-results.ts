import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { z } from "zod";
import type { RestoreResults } from "../../domain/velero.js";
import { KubeError, toKubeError } from "../kubernetes/kube-error.js";

const gunzipAsync = promisify(gunzip);

const messagesSchema = z
  .object({
    velero: z.array(z.string()).nullish(),
    cluster: z.array(z.string()).nullish(),
    namespaces: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
  })
  .nullish()
  .transform((m) => ({
    velero: m?.velero ?? [],
    cluster: m?.cluster ?? [],
    namespaces: Object.fromEntries(
      Object.entries(m?.namespaces ?? {}).map(([ns, list]) => [ns, list ?? []] as const),
    ),
  }));

/** restore-NAME-results.gz as Velero writes it: {"errors": Result, "warnings": Result}. */
const resultsSchema = z.object({ errors: messagesSchema, warnings: messagesSchema });

/**
 * Reads the results file a DownloadRequest pointed at (a URL signed by Velero for the storage
 * location) under a deadline. The URL carries a signature and the access key's id: it is never put
 * into an error or a log line. Undefined when the store has no such file (the restore never ran).
 */
export async function downloadRestoreResults(
  url: string,
  where: { site: string; operation: string },
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<RestoreResults | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  let body: Buffer;
  try {
    const response = await fetch(url, { signal });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new KubeError(
        response.status === 403 ? "forbidden" : "unknown",
        where,
        `the storage location answered HTTP ${response.status}`,
        { status: response.status },
      );
    }
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    // Only the error's kind and errno go into the message, never the request (the signed URL).
    throw toKubeError(error, where, { timeoutMs, timedOut: timeout.aborted });
  }
  // Velero stores the file gzipped; a store that sets Content-Encoding has it inflated by fetch already.
  const text = (body[0] === 0x1f && body[1] === 0x8b ? await gunzipAsync(body) : body).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KubeError("invalid", where, `the results file is not JSON (${(error as Error).message})`);
  }
  const result = resultsSchema.safeParse(parsed);
  if (!result.success)
    throw new KubeError(
      "invalid",
      where,
      `the results file is not Velero's: ${result.error.issues[0]?.message}`,
    );
  return result.data;
}
