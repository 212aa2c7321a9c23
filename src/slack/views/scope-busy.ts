import { escapeMrkdwn } from "./block-kit.js";
import { KIND_TITLE, user } from "./run-view-parts.js";

/** A run's kind inside a sentence. */
const KIND_WORDS: Record<keyof typeof KIND_TITLE, string> = {
  failover: "failover",
  failback: "failback",
  drill: "DR drill",
  verify: "backup verification",
};

/** What a scope_busy refusal carries (src/app/claim-scope.ts), read back from its details. */
export interface ScopeHolder {
  runId: string;
  owner: string;
  state: string;
  kind?: keyof typeof KIND_TITLE;
  applications?: string[];
  /** The applications both runs touch. */
  shared?: string[];
  /** The holder is this very request made again (same kind, same applications). */
  sameRequest?: boolean;
}

/** The holder a scope_busy refusal names, from its details; undefined when they do not say. */
export function scopeHolderOf(details: Readonly<Record<string, unknown>>): ScopeHolder | undefined {
  const { runId, owner, state, kind, applications, shared, sameRequest } = details;
  if (typeof runId !== "string" || typeof owner !== "string" || typeof state !== "string") return undefined;
  const names = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  const known = typeof kind === "string" && kind in KIND_TITLE ? (kind as ScopeHolder["kind"]) : undefined;
  return {
    runId,
    owner,
    state,
    ...(known ? { kind: known } : {}),
    ...(names(applications) ? { applications: names(applications)! } : {}),
    ...(names(shared) ? { shared: names(shared)! } : {}),
    ...(sameRequest === true ? { sameRequest: true } : {}),
  };
}

/**
 * The refusal of a request whose scope another run holds: which applications, which run (linked to
 * its card when Slack gave its address), whose and in which state, and what to do. Only the very
 * same request by the same person, made again, is "already requested".
 */
export function scopeBusyText(holder: ScopeHolder, actor: string, cardUrl?: string): string {
  const id = `\`${escapeMrkdwn(holder.runId)}\``;
  const run = cardUrl ? `<${cardUrl}|${escapeMrkdwn(holder.runId)}>` : id;
  const state = holder.state.replace(/_/g, " ");
  if (holder.sameRequest && holder.owner === actor) return `You already requested this: ${run} is ${state}.`;
  const shared = holder.shared?.length ? holder.shared.map(escapeMrkdwn).join(", ") : "this scope";
  const what = holder.kind
    ? `${KIND_WORDS[holder.kind]}${holder.applications ? ` of ${holder.applications.map(escapeMrkdwn).join(", ")}` : ""}`
    : "a run";
  const whose = holder.owner === actor ? "you" : holder.owner === "unknown" ? "someone" : user(holder.owner);
  return `*Another run holds this scope*: ${shared} ${(holder.shared?.length ?? 0) > 1 ? "are" : "is"} in ${run} (${what}, requested by ${whose}, ${state}). One run at a time per application: wait for it to end, or stop it with \`/dr abort ${escapeMrkdwn(holder.runId)}\`.`;
}
