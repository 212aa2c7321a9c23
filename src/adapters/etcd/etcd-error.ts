import { DrError, type DrErrorCode } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";

/** Why an etcd snapshot operation failed, so the message and the code say the same thing. */
export type EtcdFailure =
  | "unreachable"
  | "timeout"
  | "client_certificate_refused"
  | "server_certificate_untrusted"
  | "tls_files_unreadable"
  | "tool_missing"
  | "snapshot_failed"
  | "verification_failed"
  | "copy_failed";

const CODE_OF: Record<EtcdFailure, DrErrorCode> = {
  unreachable: "unavailable",
  timeout: "timeout",
  client_certificate_refused: "forbidden",
  server_certificate_untrusted: "forbidden",
  tls_files_unreadable: "invalid_config",
  tool_missing: "unavailable",
  snapshot_failed: "step_failed",
  verification_failed: "step_failed",
  copy_failed: "step_failed",
};

/**
 * The one error etcd snapshot work ends in: a DrError naming the source, what drbot was doing and
 * where (endpoint or file). Built from error codes and tool output, never from file contents, so no
 * key can end up in it; redacted all the same.
 */
export class EtcdError extends DrError {
  readonly failure: EtcdFailure;

  constructor(
    failure: EtcdFailure,
    where: { source: string; operation: string; at?: string },
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      CODE_OF[failure],
      redact(
        `etcd ${where.source}: could not ${where.operation}${where.at ? ` (${where.at})` : ""}: ${detail}`,
      ),
      { failure, source: where.source, operation: where.operation, at: where.at },
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "EtcdError";
    this.failure = failure;
  }
}
