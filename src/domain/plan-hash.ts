import { createHash } from "node:crypto";
import type { Plan } from "./run.js";

/** A plan hash: SHA-256 in lowercase hex, as approvals, cards and `--plan` carry it. */
export const PLAN_HASH = /^[0-9a-f]{64}$/;

/**
 * The hash an approval binds to: SHA-256 over everything the plan holds (runbook, kind, mode, scope,
 * pins, and every field of every step: id, kind, params, timeout, retries and their delay, what a
 * failure does, what it needs, its group and concurrency, its undo, the words approvers read), in
 * canonical JSON. The plan builder computes it, and the engine computes it again from the plan as
 * stored before it executes anything, so a step changed after approval (its params, its timeout, a
 * step added) no longer matches the hash its approvals were given for.
 */
export function hashPlan(plan: Omit<Plan, "hash">): string {
  const { runbook, runbookTitle, kind, mode, scope, steps, pins } = plan;
  const material = canonicalJson({ runbook, runbookTitle, kind, mode, scope, steps, pins });
  return createHash("sha256").update(material).digest("hex");
}

/** Whether the plan as stored still has the hash it claims (nothing in it changed since it was built). */
export function planMatchesHash(plan: Plan): boolean {
  const { hash, ...rest } = plan;
  return hashPlan(rest) === hash;
}

/**
 * JSON with object keys sorted at every level and undefined fields left out, so the same content
 * gives the same text whatever order it was built or stored in (a run read back from Redis).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
