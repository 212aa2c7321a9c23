/**
 * One error vocabulary for the whole product. Every refusal or failure a person can see carries one of
 * these codes; `src/app/error-messages.ts` maps each code to the words shown in Slack and the CLI.
 */
export type DrErrorCode =
  | "invalid_config"
  | "invalid_environment"
  | "invalid_runbook"
  | "invalid_input"
  | "unknown_run"
  | "unknown_scope"
  | "scope_busy"
  | "already_served"
  | "mixed_sites"
  | "shared_record"
  | "standby_serving"
  | "not_permitted"
  | "wrong_channel"
  | "self_approval"
  | "not_eligible"
  | "already_approved"
  | "already_decided"
  | "approval_expired"
  | "plan_changed"
  | "plan_unavailable"
  | "data_loss_not_accepted"
  | "not_ready_not_accepted"
  | "not_confirmed"
  | "unproven"
  | "invalid_state"
  | "lost_lease"
  | "conflict"
  | "timeout"
  | "unavailable"
  | "step_failed"
  | "forbidden"
  | "not_found"
  | "internal";

export class DrError extends Error {
  readonly code: DrErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: DrErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DrError";
    this.code = code;
    this.details = details;
  }
}

export function isDrError(error: unknown, code?: DrErrorCode): error is DrError {
  return error instanceof DrError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a message fit for a log line, without the stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
