/**
 * Every Redis key drbot uses, in one place. All carry the configured prefix (default "drbot:").
 * A run's keys put its id in literal braces (a Redis Cluster hash tag), so they would share one slot;
 * `<id>` and `<key>` below are placeholders.
 *
 * | key                     | type       | holds                                           |
 * | ----------------------- | ---------- | ----------------------------------------------- |
 * | run:{<id>}              | hash       | `doc` RunRecord JSON, `v` version, `k` kind, `s` state |
 * | run:{<id>}:steps        | hash       | stepId → StepRecord JSON (without attestations) |
 * | run:{<id>}:attestations | hash       | stepId → Attestation[] JSON                     |
 * | run:{<id>}:events       | stream     | audit trail, field `e` = RunEvent JSON, capped  |
 * | run:{<id>}:lease        | string+TTL | `ownerId#fence` of the executor holding the run |
 * | run:{<id>}:fence        | string     | INCR counter behind the fencing numbers, no TTL |
 * | runs:index              | sorted set | run ids scored by createdAt                     |
 * | runs:active             | set        | ids of runs not in a terminal state             |
 * | runs:finished           | sorted set | finished run ids scored by when they finished   |
 * | runs:summary            | hash       | `<kind>/<state>` → runs, `built` once counted   |
 * | audit                   | stream     | refusals in no run's trail, field `e`, capped   |
 * | archive:{<id>}          | string+TTL | a retired run's report (JSON)                   |
 * | scope:<key>             | string+TTL | id of the run holding that scope key            |
 * | dedupe:<key>            | string+TTL | value stored by the first caller                |
 * | kv:<key>                | string     | small state for schedules and watchers          |
 * | leader:<name>           | string+TTL | token of the replica leading (watcher, calendar) |
 * | serving                 | hash       | application → its newest ServingMove JSON       |
 * | serving:history         | stream     | every ServingMove, field `e`, capped            |
 * | readiness:latest        | string     | the kept readiness round (ReadinessReport JSON) |
 * | readiness:requests      | hash       | `<runId>#<moment>` → ReadinessRequest JSON      |
 * | readiness:lock          | string+TTL | token of whoever makes a readiness round        |
 */
export function redisKeys(prefix: string) {
  return {
    run: (runId: string) => `${prefix}run:{${runId}}`,
    steps: (runId: string) => `${prefix}run:{${runId}}:steps`,
    events: (runId: string) => `${prefix}run:{${runId}}:events`,
    attestations: (runId: string) => `${prefix}run:{${runId}}:attestations`,
    lease: (runId: string) => `${prefix}run:{${runId}}:lease`,
    fence: (runId: string) => `${prefix}run:{${runId}}:fence`,
    runsIndex: () => `${prefix}runs:index`,
    runsActive: () => `${prefix}runs:active`,
    runsFinished: () => `${prefix}runs:finished`,
    summary: () => `${prefix}runs:summary`,
    audit: () => `${prefix}audit`,
    archive: (runId: string) => `${prefix}archive:{${runId}}`,
    scope: (key: string) => `${prefix}scope:${key}`,
    dedupe: (key: string) => `${prefix}dedupe:${key}`,
    kv: (key: string) => `${prefix}kv:${key}`,
    leader: (name: string) => `${prefix}leader:${name}`,
    serving: () => `${prefix}serving`,
    servingHistory: () => `${prefix}serving:history`,
    readinessLatest: () => `${prefix}readiness:latest`,
    readinessRequests: () => `${prefix}readiness:requests`,
    readinessLock: () => `${prefix}readiness:lock`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
