import { DrError, describeError } from "../../domain/errors.js";
import { redactRedisUrls } from "./create-redis-client.js";

/** Runs one Redis call; anything it throws becomes DrError("unavailable") saying what was being done. */
export async function redisCall<T>(what: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw unavailable(what, error);
  }
}

export function unavailable(what: string, error: unknown): DrError {
  if (error instanceof DrError) return error;
  const reason = redactRedisUrls(describeError(error));
  return new DrError("unavailable", `Redis did not ${what}: ${reason}`, {}, { cause: error });
}

/** The replies of a pipeline, in order; the first failed command fails the whole read. */
export function pipelineResults<T>(what: string, replies: [Error | null, unknown][] | null): T[] {
  if (!replies) throw new DrError("unavailable", `Redis did not ${what}: the pipeline was discarded`);
  return replies.map(([error, reply]) => {
    if (error) throw unavailable(what, error);
    return reply as T;
  });
}
