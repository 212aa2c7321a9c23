/**
 * Lua scripts run atomically by Redis. Each documents its KEYS, ARGV and reply. Registered with
 * ioredis `defineCommand`, so they travel as EVALSHA: one round trip per call (EVAL once after a
 * Redis restart empties the script cache). Key names come from redis-keys.ts; scripts only touch
 * the keys they are given.
 *
 * Layout the scripts share: a run is a hash `run:{id}` with `doc` (the RunRecord as JSON) and `v`
 * (its version, so compare-and-set never decodes the document); steps a hash stepId → JSON;
 * events a stream whose entries carry the event JSON in field `e`; the lease a string
 * `ownerId#fence` with a TTL; scope locks strings holding the run id, with a TTL.
 */
export const SCRIPTS = {
  /**
   * createRun. The run is a hash: `doc` (JSON), `v` (its version, compared by updates), `k` and `s`
   * (its kind and state, for the summary without decoding the document).
   * KEYS: run, steps, events, runsIndex, runsActive, runsFinished, summary.
   * ARGV: runJson, runId, createdAt, active ("1"/"0"), eventJson, version, maxEvents, kind, state,
   * updatedAt, then stepId, stepJson pairs.
   * Reply: 1 created, 0 the run id exists.
   */
  drCreateRun: {
    numberOfKeys: 7,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'v', ARGV[6], 'k', ARGV[8], 's', ARGV[9])
for i = 11, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'e', ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
if ARGV[4] == '1' then redis.call('SADD', KEYS[5], ARGV[2]) else redis.call('ZADD', KEYS[6], ARGV[10], ARGV[2]) end
if redis.call('HEXISTS', KEYS[7], 'built') == 1 then redis.call('HINCRBY', KEYS[7], ARGV[8] .. '/' .. ARGV[9], 1) end
return 1`,
  },
  /**
   * updateRun (compare-and-set, fenced). KEYS: run, events, runsActive, lease, runsFinished, summary.
   * ARGV: expectedVersion, runJson, runId, active ("1"/"0"), eventJson ("" for none), leaseToken ("" for
   * none), newVersion, maxEvents, kind, state, updatedAt.
   * Reply: 1 written, 0 version moved on, -1 lease not held by the token, -2 no such run.
   * A run written before `s` existed has its state read from its document, once.
   */
  drUpdateRun: {
    numberOfKeys: 6,
    lua: `
if ARGV[6] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[6] then return -1 end
local version = redis.call('HGET', KEYS[1], 'v')
if not version then return -2 end
if version ~= ARGV[1] then return 0 end
local old = redis.call('HGET', KEYS[1], 's')
if not old then old = cjson.decode(redis.call('HGET', KEYS[1], 'doc')).state end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'v', ARGV[7], 'k', ARGV[9], 's', ARGV[10])
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[3], ARGV[3])
else
  redis.call('SREM', KEYS[3], ARGV[3])
  redis.call('ZADD', KEYS[5], 'NX', ARGV[11], ARGV[3])
end
if old ~= ARGV[10] and redis.call('HEXISTS', KEYS[6], 'built') == 1 then
  redis.call('HINCRBY', KEYS[6], ARGV[9] .. '/' .. old, -1)
  redis.call('HINCRBY', KEYS[6], ARGV[9] .. '/' .. ARGV[10], 1)
end
if ARGV[5] ~= '' then redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'e', ARGV[5]) end
return 1`,
  },
  /**
   * putStep (fenced). KEYS: steps, events, lease, run.
   * ARGV: stepId, stepJson, eventJson, leaseToken ("" for none), maxEvents.
   * Reply: stream id, or -1 lease not held by the token, -2 no such run.
   */
  drPutStep: {
    numberOfKeys: 4,
    lua: `
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
if redis.call('EXISTS', KEYS[4]) == 0 then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[3])`,
  },
  /**
   * addAttestation. KEYS: attestations (hash stepId → JSON array), events, steps.
   * ARGV: stepId, attestationJson, item, userId, eventJson, maxEvents.
   * Reply: 1 added, 0 the same person already attested the item, -2 no such step.
   */
  drAddAttestation: {
    numberOfKeys: 3,
    lua: `
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then return -2 end
local current = redis.call('HGET', KEYS[1], ARGV[1])
local list = {}
if current then list = cjson.decode(current) end
for _, a in ipairs(list) do
  if a.item == ARGV[3] and a.userId == ARGV[4] then return 0 end
end
table.insert(list, cjson.decode(ARGV[2]))
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(list))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'e', ARGV[5])
return 1`,
  },
  /**
   * claimLease. The token is `ownerId#fence`; the fence comes from INCR on a key that never expires,
   * so every new holder gets a strictly larger number, across restarts too (with AOF).
   * KEYS: lease, fence. ARGV: ownerId, ttlMs.
   * Reply: {1, token, fence, takeover (1 when someone held it before)} claimed, or renewed when the
   * same owner holds it (takeover 0); {0, holderToken} held by another owner.
   */
  drClaimLease: {
    numberOfKeys: 2,
    lua: `
local held = redis.call('GET', KEYS[1])
if held then
  local owner, fence = string.match(held, '^(.*)#(%d+)$')
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, held, tonumber(fence), 0}
  end
  return {0, held}
end
local fence = redis.call('INCR', KEYS[2])
local token = ARGV[1] .. '#' .. fence
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
local takeover = 0
if fence > 1 then takeover = 1 end
return {1, token, fence, takeover}`,
  },
  /** renewLease. KEYS: lease. ARGV: token, ttlMs. Reply: 1 renewed, 0 not held by the token. */
  drRenewLease: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
  /** Compare-and-delete. KEYS: key. ARGV: expected value. Reply: 1 deleted, 0 not. */
  drDeleteIfEquals: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
  /**
   * acquireScope, all or none. KEYS: scope keys. ARGV: runId, ttlMs.
   * Reply: "" acquired, or the run id holding a key.
   */
  drAcquireScope: {
    numberOfKeys: -1,
    lua: `
for i = 1, #KEYS do
  local held = redis.call('GET', KEYS[i])
  if held and held ~= ARGV[1] then return held end
end
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
return ''`,
  },
  /**
   * renewScope. KEYS: scope keys. ARGV: runId, ttlMs. Extends every key runId still holds.
   * Reply: 1 all were held by runId, 0 at least one is held by another run or has lapsed.
   */
  drRenewScope: {
    numberOfKeys: -1,
    lua: `
local all = 1
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]) else all = 0 end
end
return all`,
  },
  /** releaseScope. KEYS: scope keys. ARGV: runId. Deletes the keys runId holds. */
  drReleaseScope: {
    numberOfKeys: -1,
    lua: `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`,
  },
  /**
   * dedupe: SET NX PX that answers with what is already there, in one round trip.
   * KEYS: dedupe key. ARGV: value, ttlMs. Reply: false (nil) when stored first, else the stored value.
   */
  drDedupe: {
    numberOfKeys: 1,
    lua: `
local seen = redis.call('GET', KEYS[1])
if seen then return seen end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`,
  },
  /**
   * retireRun: a finished run's keys go at once; its archive stays when one is given.
   * KEYS: run, steps, attestations, events, lease, fence, runsIndex, runsActive, runsFinished,
   * summary, archive. ARGV: runId, archiveText ("" for none), archiveTtlMs.
   * Reply: 1 retired, 0 no such run or it is still active (not in a terminal state).
   */
  drRetireRun: {
    numberOfKeys: 11,
    lua: `
local fields = redis.call('HMGET', KEYS[1], 'k', 's', 'doc')
if not fields[3] then return 0 end
if redis.call('SISMEMBER', KEYS[8], ARGV[1]) == 1 then return 0 end
local kind, state = fields[1], fields[2]
if not state then
  local run = cjson.decode(fields[3])
  kind, state = run.kind, run.state
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[9], ARGV[1])
if redis.call('HEXISTS', KEYS[10], 'built') == 1 then redis.call('HINCRBY', KEYS[10], kind .. '/' .. state, -1) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[11], ARGV[2], 'PX', ARGV[3]) end
return 1`,
  },
  /**
   * rebuildSummary: counts every indexed run by kind and state, once (the summary then stays up to
   * date through the other scripts, which count only once it is built). Runs written before the
   * summary existed get their `k` and `s` fields, and if finished, their place in runsFinished.
   * KEYS: summary, runsIndex, runsActive, runsFinished, then the run hash of each id in ARGV.
   * ARGV: every id in runsIndex, in the order of their keys.
   * Reply: 1 built (or already built), 0 the index changed since the ids were read (read them again).
   */
  drRebuildSummary: {
    numberOfKeys: -1,
    lua: `
if redis.call('HEXISTS', KEYS[1], 'built') == 1 then return 1 end
if redis.call('ZCARD', KEYS[2]) ~= #ARGV then return 0 end
local counts = {}
for i = 1, #ARGV do
  local fields = redis.call('HMGET', KEYS[i + 4], 'k', 's', 'doc')
  local kind, state = fields[1], fields[2]
  if fields[3] and not state then
    local run = cjson.decode(fields[3])
    kind, state = run.kind, run.state
    redis.call('HSET', KEYS[i + 4], 'k', kind, 's', state)
    if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 0 then
      redis.call('ZADD', KEYS[4], 'NX', run.updatedAt, ARGV[i])
    end
  end
  if state then counts[kind .. '/' .. state] = (counts[kind .. '/' .. state] or 0) + 1 end
end
redis.call('DEL', KEYS[1])
for field, n in pairs(counts) do redis.call('HSET', KEYS[1], field, n) end
redis.call('HSET', KEYS[1], 'built', 1)
return 1`,
  },
} as const;
