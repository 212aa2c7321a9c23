import { REDACTED } from "../redact.js";
import type { RunRecord } from "../run.js";
import type { Proof } from "./proof.js";

/**
 * What a kept Slack request may not show. A request's `response_url` lets whoever holds it post as
 * the bot in its channel for 30 minutes, and its `trigger_id` opens a modal as the person; both are
 * in every request Slack signs, so the proofs drbot keeps hold them, beside the app's verification
 * `token` that Slack still sends. They stay in the store (the signature covers the whole body), and
 * are replaced wherever a proof is shown: `drbot show`, `runs` and `status` (their --json too) and
 * log lines.
 */
export const HIDDEN_SLACK_FIELDS = ["response_url", "response_urls", "trigger_id", "token"] as const;

const HIDDEN = new Set<string>(HIDDEN_SLACK_FIELDS);

/**
 * A Slack request body as it may be shown: the hidden fields replaced, in its form fields and in the
 * JSON payload of a click. The result is for reading only: it no longer matches Slack's signature
 * (the stored body does). A body that cannot be read is not shown at all.
 */
export function shownSlackBody(body: string): string {
  const form = new URLSearchParams(body);
  for (const key of HIDDEN_SLACK_FIELDS) if (form.has(key)) form.set(key, REDACTED);
  const payload = form.get("payload");
  if (payload !== null) {
    try {
      form.set("payload", JSON.stringify(withoutCapabilities(JSON.parse(payload))));
    } catch {
      // Not JSON: a payload we cannot read could hold anything, so none of it is shown.
      form.set("payload", REDACTED);
    }
  }
  return form.toString();
}

function withoutCapabilities(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCapabilities);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, HIDDEN.has(k) ? REDACTED : withoutCapabilities(v)]),
  );
}

/** A proof as it may be shown (see shownSlackBody); an SSH signature holds no capability. */
export function shownProof(proof: Proof): Proof {
  switch (proof.via) {
    case "slack":
      return { ...proof, request: { ...proof.request, body: shownSlackBody(proof.request.body) } };
    case "socket-mode":
      return proof.statement.kind === "command"
        ? { ...proof, statement: { ...proof.statement, triggerId: REDACTED } }
        : proof;
    case "ssh":
      return proof;
  }
}

/** A run as surfaces show it: its request's and approvals' proofs without Slack's hidden fields. */
export function shownRun(run: RunRecord): RunRecord {
  return {
    ...run,
    ...(run.requestProof ? { requestProof: shownProof(run.requestProof) } : {}),
    approvals: run.approvals.map((a) => (a.proof ? { ...a, proof: shownProof(a.proof) } : a)),
  };
}
