import type { Redis } from "ioredis";
import type { ServingMove } from "../../domain/site-state.js";
import {
  DEFAULT_SERVING_HISTORY,
  type RecordServingOutcome,
  type SiteStateStore,
} from "../../ports/site-state.js";
import { redisCall } from "./redis-call.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";

/** Lua for the site state, atomic in Redis. Keys come from redis-keys.ts (`serving`, `serving:history`). */
const SITE_STATE_SCRIPTS = {
  /**
   * record: compare-and-set of several applications' newest moves, all or none.
   * KEYS: serving (hash application → move JSON), servingHistory (stream).
   * ARGV: maxHistory, then triples of application, expected run id ("" for none), move JSON.
   * Reply: {1} written; {0, application, current move JSON or ""} when an application's newest move
   * is not the expected one (nothing written).
   */
  drRecordServing: {
    numberOfKeys: 2,
    lua: `
for i = 2, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local runId = ''
  if current then runId = cjson.decode(current).runId end
  if runId ~= ARGV[i + 1] then return {0, ARGV[i], current or ''} end
end
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i + 2])
end
return {1}`,
  },
} as const;

type SiteStateClient = Redis & {
  drRecordServing(...args: (string | number)[]): Promise<[number, string?, string?]>;
};

type StreamEntry = [id: string, fields: string[]];

/** How many history entries one read asks for while looking for one application's moves. */
const HISTORY_PAGE = 500;

/**
 * The site state on Redis (standalone or behind Sentinel), on the run store's connection. Every
 * command has the client's command timeout as its deadline; failures become DrError("unavailable")
 * saying what was being done.
 */
export class RedisSiteState implements SiteStateStore {
  private readonly keys: RedisKeys;
  private readonly redis: SiteStateClient;

  constructor(
    redis: Redis,
    keyPrefix = "drbot:",
    private readonly maxHistory = DEFAULT_SERVING_HISTORY,
  ) {
    this.keys = redisKeys(keyPrefix);
    for (const [name, script] of Object.entries(SITE_STATE_SCRIPTS))
      if (!(name in redis)) redis.defineCommand(name, script);
    this.redis = redis as SiteStateClient;
  }

  async current(): Promise<ServingMove[]> {
    const all = await redisCall("read which site serves each application", () =>
      this.redis.hgetall(this.keys.serving()),
    );
    return Object.values(all).map((json) => JSON.parse(json) as ServingMove);
  }

  async record(
    moves: readonly ServingMove[],
    expected: Readonly<Record<string, string | null>>,
  ): Promise<RecordServingOutcome> {
    if (moves.length === 0) return { ok: true };
    const args = moves.flatMap((m) => [m.application, expected[m.application] ?? "", JSON.stringify(m)]);
    const [written, application = "", current = ""] = await redisCall(
      "record which site serves the applications",
      () =>
        this.redis.drRecordServing(this.keys.serving(), this.keys.servingHistory(), this.maxHistory, ...args),
    );
    if (written === 1) return { ok: true };
    return {
      ok: false,
      application,
      ...(current ? { current: JSON.parse(current) as ServingMove } : {}),
    };
  }

  async history(options: { application?: string; limit?: number } = {}): Promise<ServingMove[]> {
    const { application, limit = 50 } = options;
    if (limit <= 0) return [];
    const found: ServingMove[] = [];
    let end = "+";
    // Newest first, a page at a time, until enough of the application's moves are found.
    for (;;) {
      const page = application === undefined ? limit - found.length : HISTORY_PAGE;
      const entries = (await redisCall("read the history of the serving sites", () =>
        this.redis.xrevrange(this.keys.servingHistory(), end, "-", "COUNT", page),
      )) as StreamEntry[];
      for (const [, fields] of entries) {
        const move = JSON.parse(fields[1] ?? "{}") as ServingMove;
        if (application === undefined || move.application === application) found.push(move);
        if (found.length === limit) return found;
      }
      if (entries.length < page) return found;
      end = `(${entries[entries.length - 1]![0]}`;
    }
  }
}
