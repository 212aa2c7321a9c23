import { z } from "zod";
import { NAME_PATTERN } from "./config.js";

/**
 * Typed confirmation of a real failover or failback, the way cloud consoles guard a deletion: the
 * requester reads the plan, the data at risk and the readiness verdict, and types the scope's name.
 * In Slack this is a modal whose private_metadata carries the request itself; its submission is the
 * signed request kept as the requester's proof, so the engine can read again what was confirmed
 * (src/domain/evidence/run-evidence.ts). A drill and a dry run are not confirmed this way.
 */
export const CONFIRM_RUN = {
  /** The modal's callback_id. */
  callbackId: "dr:confirm-run",
  /** The input block and element the scope's name is typed in. */
  block: "dr:confirm-scope",
  input: "typed",
} as const;

export type ConfirmedKind = "failover" | "failback";

export const CONFIRMED_KINDS: readonly string[] = ["failover", "failback"];

/** What the person asked for, carried in the modal until they confirm it. */
export interface ConfirmedRequest {
  kind: ConfirmedKind;
  targets: string[];
  reason: string;
  channel: string;
  backup?: string;
  withShared?: boolean;
  /** The watcher's alert the request comes from: its record gives the reason and the detection time. */
  alert?: string;
}

const requestSchema = z
  .object({
    kind: z.enum(["failover", "failback"]),
    targets: z.array(z.string().regex(NAME_PATTERN)).max(50),
    reason: z.string().min(1).max(1000),
    channel: z.string().regex(/^[A-Z0-9]{2,32}$/),
    backup: z.string().max(253).optional(),
    withShared: z.boolean().optional(),
    alert: z
      .string()
      .regex(/^[a-z0-9._-]{1,120}$/)
      .optional(),
  })
  .strict();

/** Slack's bound on a view's private_metadata. */
export const CONFIRMATION_METADATA_MAX = 3000;

/** What the requester types: the targets as typed after the command, or `all` for every application. */
export function confirmationName(targets: readonly string[]): string {
  return targets.length > 0 ? targets.join(" ") : "all";
}

/** Whether the typed text names the scope exactly (surrounding spaces aside; case counts). */
export function typedMatches(request: Pick<ConfirmedRequest, "targets">, typed: string): boolean {
  return typed.trim() === confirmationName(request.targets);
}

export function encodeConfirmation(request: ConfirmedRequest): string {
  const text = JSON.stringify(requestSchema.parse(request));
  if (text.length > CONFIRMATION_METADATA_MAX)
    throw new RangeError("the request is too long to confirm in a Slack modal");
  return text;
}

/** The request a modal carried, or undefined when it is not one drbot wrote. */
export function readConfirmation(metadata: string): ConfirmedRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    // Not JSON: not drbot's metadata, so it confirms nothing (the caller refuses it).
    return undefined;
  }
  const checked = requestSchema.safeParse(parsed);
  return checked.success ? (checked.data as ConfirmedRequest) : undefined;
}

/**
 * Whether a modal's submission confirms a request of this kind: drbot's confirmation modal, carrying
 * a request of the kind, with the scope's name typed exactly. What the engine accepts as the proof of
 * a request made through the modal.
 */
export function confirmsRequest(
  said: { callbackId: string; privateMetadata: string; values: Record<string, string> },
  kind: string,
): boolean {
  if (said.callbackId !== CONFIRM_RUN.callbackId) return false;
  const request = readConfirmation(said.privateMetadata);
  return request?.kind === kind && typedMatches(request, said.values[CONFIRM_RUN.input] ?? "");
}
