import { randomBytes } from "node:crypto";
import type { DrErrorCode } from "../domain/errors.js";

/** One table from error code to the words a person sees (Slack ephemerals and the CLI). */
export const ERROR_HEADLINES: Record<DrErrorCode, string> = {
  invalid_config: "The configuration is invalid",
  invalid_environment: "The environment is invalid",
  invalid_runbook: "A runbook is invalid",
  invalid_input: "That input is not valid",
  unknown_run: "No such run",
  unknown_scope: "Unknown tier or application",
  scope_busy: "Another run holds this scope",
  already_served: "Already served from that site",
  mixed_sites: "These applications are served from different sites",
  shared_record: "A DNS record also carries other applications",
  standby_serving: "The standby site is serving production",
  not_permitted: "You are not allowed to do that",
  wrong_channel: "Not in this channel",
  self_approval: "You cannot approve your own request",
  not_eligible: "You are not an approver for this kind of run",
  already_approved: "You already approved this",
  already_decided: "This request was already decided",
  approval_expired: "This request has expired",
  plan_changed: "The plan changed; review it again",
  plan_unavailable: "The plan cannot be computed now; the request keeps waiting",
  data_loss_not_accepted: "This run loses more data than the RPO allows: accept it explicitly",
  not_ready_not_accepted: "The DR readiness of this scope is not ready: accept it explicitly",
  not_confirmed: "Not confirmed",
  unproven: "Not proven: drbot could not verify who did this",
  invalid_state: "Not possible in the run's current state",
  lost_lease: "Another drbot process took over this run",
  conflict: "Something changed at the same time; try again",
  timeout: "No answer in time",
  unavailable: "A service drbot needs is unavailable",
  step_failed: "A step failed",
  forbidden: "The cluster refused: missing rights",
  not_found: "Not found on the cluster",
  internal: "drbot hit an internal error",
};

/**
 * What a person does about a refusal, in the words of the surface they act on (a Slack card has
 * buttons, the CLI has flags): the use cases refuse in words that fit both, and each surface adds
 * its own way out.
 */
const REMEDIES: Partial<Record<DrErrorCode, Record<"slack" | "cli", string>>> = {
  data_loss_not_accepted: {
    slack: "approve with the card's “Approve, accepting data loss” button, which accepts it",
    cli: "approve again with --accept-data-loss, which accepts it",
  },
  not_ready_not_accepted: {
    slack: "approve with the card's “Approve, accepting not ready” button, which accepts it",
    cli: "approve again with --accept-not-ready, which accepts it",
  },
};

/** A refusal's message with the surface's way out, when it has one. */
export function refusalText(error: { code: DrErrorCode; message: string }, surface: "slack" | "cli"): string {
  const remedy = REMEDIES[error.code]?.[surface];
  return remedy ? `${error.message}; ${remedy}` : error.message;
}

/** A short reference for one unexpected failure: in the person's answer and in the log line. */
export function errorReference(): string {
  return randomBytes(3).toString("hex");
}

/** What a person sees when drbot fails unexpectedly: no internals, a reference the operators can look up. */
export function unexpectedErrorText(ref: string): string {
  return `Something went wrong (ref ${ref}); the operators can find it in drbot's logs.`;
}

/** CLI exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  refused: 1,
  usage: 2,
  invalidConfig: 3,
  unavailable: 4,
  runNotCompleted: 5,
  /** `drbot readiness`: an application would not be served by the DR site (scripts gate on it). */
  notReady: 6,
} as const;

export function exitCodeFor(code: DrErrorCode): number {
  switch (code) {
    case "invalid_config":
    case "invalid_environment":
    case "invalid_runbook":
      return EXIT.invalidConfig;
    case "invalid_input":
    case "unknown_scope":
    case "unknown_run":
      return EXIT.usage;
    case "unavailable":
    case "timeout":
      return EXIT.unavailable;
    default:
      return EXIT.refused;
  }
}
