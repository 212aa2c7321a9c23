/** Every Redis key drbot uses, in one place. All carry the configured prefix (default "drbot:"). */
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
    scope: (key: string) => `${prefix}scope:${key}`,
    dedupe: (key: string) => `${prefix}dedupe:${key}`,
    kv: (key: string) => `${prefix}kv:${key}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
