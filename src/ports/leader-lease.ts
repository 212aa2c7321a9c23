/**
 * A named lease that at most one holder has at a time, with a time to live: leadership among drbot
 * replicas (the watcher and the calendar run only in the leader). Holders are told apart by a token
 * unique to each process; renew and release act only while the token still holds the lease, so a
 * replica that paused past its TTL cannot extend or drop a lease another replica took meanwhile.
 *
 * Every method has a deadline (the adapter's command timeout) and throws DrError("unavailable") when
 * the backing store cannot answer; a holder that cannot renew must assume it lost the lease.
 */
export interface LeaderLease {
  /** Takes the lease when nobody holds it; true when `token` holds it afterwards (taken or renewed). */
  acquire(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease while `token` holds it; false when it does not (expired or taken). */
  renew(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Drops the lease if `token` holds it, so another replica takes over at once. */
  release(name: string, token: string): Promise<void>;
  holder(name: string): Promise<string | undefined>;
}
