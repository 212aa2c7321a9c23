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

/** backup-NAME-resource-list.json.gz: "apps/v1/Deployment" → ["production/payments-api", …]. */
const resourceListSchema = z.record(
  z.string(),
  z
    .array(z.string())
    .nullish()
    .transform((l) => l ?? []),
);

type Where = { site: string; operation: string };

/**
 * Reads the results file a DownloadRequest pointed at (a URL signed by Velero for the storage
 * location) under a deadline. The URL carries a signature and the access key's id: it is never put
 * into an error or a log line. Undefined when the store has no such file (the restore never ran).
 */
export function downloadRestoreResults(
  url: string,
  where: Where,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<RestoreResults | undefined> {
  return downloadVeleroFile(url, where, timeoutMs, callerSignal, resultsSchema, "the results file");
}

/**
 * Reads a backup's list of what it holds (Velero's BackupResourceList, what `velero backup describe
 * --details` prints) the same way. Undefined when the store has no such file.
 */
export function downloadBackupResourceList(
  url: string,
  where: Where,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<Record<string, string[]> | undefined> {
  return downloadVeleroFile(url, where, timeoutMs, callerSignal, resourceListSchema, "the resource list");
}

async function downloadVeleroFile<T>(
  url: string,
  where: Where,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  schema: z.ZodType<T>,
  what: string,
): Promise<T | undefined> {
  const parsed = await downloadJson(url, where, timeoutMs, callerSignal);
  if (parsed === undefined) return undefined;
  const result = schema.safeParse(parsed);
  if (!result.success)
    throw new KubeError("invalid", where, `${what} is not Velero's: ${result.error.issues[0]?.message}`);
  return result.data;
}

/** A gzipped (or plain) JSON file from a signed URL; undefined on 404. */
async function downloadJson(
  url: string,
  where: Where,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<unknown> {
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
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KubeError("invalid", where, `the file is not JSON (${(error as Error).message})`);
  }
}
