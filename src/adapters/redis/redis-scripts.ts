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
   * createRun. The run is a hash: `doc` (JSON) and `v` (its version, compared by updates).
   * KEYS: run, steps, events, runsIndex, runsActive.
   * ARGV: runJson, runId, createdAt, active ("1"/"0"), eventJson, version, then stepId, stepJson pairs.
   * Reply: 1 created, 0 the run id exists.
   */
  drCreateRun: {
    numberOfKeys: 5,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'v', ARGV[6])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('XADD', KEYS[3], '*', 'e', ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
if ARGV[4] == '1' then redis.call('SADD', KEYS[5], ARGV[2]) end
return 1`,
  },
  /**
   * updateRun (compare-and-set, fenced). KEYS: run, events, runsActive, lease.
   * ARGV: expectedVersion, runJson, runId, active ("1"/"0"), eventJson ("" for none), leaseToken ("" for none), newVersion.
   * Reply: 1 written, 0 version moved on, -1 lease not held by the token, -2 no such run.
   */
  drUpdateRun: {
    numberOfKeys: 4,
    lua: `
if ARGV[6] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[6] then return -1 end
local version = redis.call('HGET', KEYS[1], 'v')
if not version then return -2 end
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'v', ARGV[7])
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], ARGV[3]) else redis.call('SREM', KEYS[3], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('XADD', KEYS[2], '*', 'e', ARGV[5]) end
return 1`,
  },
  /**
   * putStep (fenced). KEYS: steps, events, lease, run. ARGV: stepId, stepJson, eventJson, leaseToken ("" for none).
   * Reply: stream id, or -1 lease not held by the token, -2 no such run.
   */
  drPutStep: {
    numberOfKeys: 4,
    lua: `
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
if redis.call('EXISTS', KEYS[4]) == 0 then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])`,
  },
  /**
   * addAttestation. KEYS: attestations (hash stepId → JSON array), events, steps.
   * ARGV: stepId, attestationJson, item, userId, eventJson.
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
redis.call('XADD', KEYS[2], '*', 'e', ARGV[5])
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
} as const;
