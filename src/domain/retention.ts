import { formatMs } from "./duration.js";

/**
 * Backup retention, as the DR strategy states it for etcd: keep the newest `count` good copies and
 * nothing older than `maxAgeMs`. Pure: the caller lists the copies, says which are good, and
 * passes the time in.
 */
export interface RetentionPolicy {
  count: number;
  maxAgeMs: number;
}

export interface RetainedCopy {
  id: string;
  takenAt: number;
}

export interface RetentionDecision<T extends RetainedCopy> {
  keep: T[];
  remove: { copy: T; why: string }[];
}

/**
 * Decides which good copies to remove. Copies listed in `protect` are kept whatever their rank or
 * age (the snapshot just taken), so retention can never leave a source with no good copy because
 * the clock or a slow run moved past maxAge.
 */
export function applyRetention<T extends RetainedCopy>(
  copies: readonly T[],
  policy: RetentionPolicy,
  now: number,
  protect: readonly string[] = [],
): RetentionDecision<T> {
  const newestFirst = [...copies].sort((a, b) => b.takenAt - a.takenAt || b.id.localeCompare(a.id));
  // Protected copies take their places among the `count` first.
  const keep: T[] = newestFirst.filter((c) => protect.includes(c.id));
  const remove: { copy: T; why: string }[] = [];
  for (const copy of newestFirst) {
    const age = now - copy.takenAt;
    if (protect.includes(copy.id)) continue;
    if (keep.length >= policy.count)
      remove.push({ copy, why: `beyond the newest ${policy.count} good copies` });
    else if (age > policy.maxAgeMs) remove.push({ copy, why: `older than ${formatMs(policy.maxAgeMs)}` });
    else keep.push(copy);
  }
  keep.sort((a, b) => b.takenAt - a.takenAt || b.id.localeCompare(a.id));
  return { keep, remove };
}
