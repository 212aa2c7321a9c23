/**
 * What a person signs with their SSH key on the CLI: one action on one run, for the plan they saw,
 * at a time, with a nonce. The text is short, line by line, and readable, so what was signed can be
 * read back from the audit trail:
 *
 *     drbot signed action v1
 *     user: U0APPROVER1
 *     action: approve
 *     run: failover-0101-0300-a1b2c3
 *     plan: 9f86d08…(64 hex)
 *     at: 2026-01-01T03:00:00.000Z
 *     nonce: 5f1c…(32 hex)
 *     accepts-data-loss: 1a2b3c4d5e6f7a8b
 *     accepts-not-ready: 8b7a6f5e4d3c2b1a
 *
 * The signature binds every line: another run, another plan, another person, or a later replay of
 * the same text does not pass (src/app/prove-action.ts keeps nonces; the engine checks the binding).
 */
export const CLAIM_HEADER = "drbot signed action v1";

export const SIGNED_ACTIONS = [
  "request",
  "approve",
  "reject",
  "abort",
  "pause",
  "resume",
  "skip",
  "tick",
] as const;
export type SignedAction = (typeof SIGNED_ACTIONS)[number];

/** Optional lines, in the order they are written. */
const DETAIL_KEYS = ["accepts-data-loss", "accepts-not-ready", "step", "item", "reason"] as const;
export type ClaimDetail = (typeof DETAIL_KEYS)[number];

export interface SignedClaim {
  userId: string;
  action: SignedAction;
  runId: string;
  /** The plan hash the person acted on, as they saw it. */
  planHash: string;
  /** When the person signed, in ms. */
  at: number;
  /** 32 hex digits, never used twice (kept for the approval expiry). */
  nonce: string;
  details: Partial<Record<ClaimDetail, string>>;
}

const NONCE = /^[0-9a-f]{32}$/;
const MAX_VALUE = 500;

/** The exact text a person signs for `claim`. */
export function formatClaim(claim: SignedClaim): string {
  const lines = [
    CLAIM_HEADER,
    `user: ${claim.userId}`,
    `action: ${claim.action}`,
    `run: ${claim.runId}`,
    `plan: ${claim.planHash}`,
    `at: ${new Date(claim.at).toISOString()}`,
    `nonce: ${claim.nonce}`,
    ...DETAIL_KEYS.flatMap((key) => {
      const value = claim.details[key];
      return value === undefined ? [] : [`${key}: ${oneLine(value)}`];
    }),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Reads a signed text back; throws with what is wrong. Strict: the header first, each line once, no
 * unknown line, every required one present, nothing after the final newline.
 */
export function parseClaim(text: string): SignedClaim {
  if (text.length > 4_000) throw new Error("the signed text is too long");
  if (!text.endsWith("\n")) throw new Error("the signed text does not end with a newline");
  const [header, ...lines] = text.slice(0, -1).split("\n");
  if (header !== CLAIM_HEADER) throw new Error(`the signed text does not start with "${CLAIM_HEADER}"`);
  const fields = new Map<string, string>();
  for (const line of lines) {
    const match = /^([a-z-]+): (.*)$/.exec(line);
    if (!match) throw new Error(`"${line.slice(0, 40)}" is not a line of a signed action`);
    const [, key, value] = match as unknown as [string, string, string];
    if (fields.has(key)) throw new Error(`"${key}" is given twice`);
    fields.set(key, value);
  }
  const take = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw new Error(`the signed text has no "${key}"`);
    fields.delete(key);
    return value;
  };
  const userId = take("user");
  const action = take("action");
  const runId = take("run");
  const planHash = take("plan");
  const at = Date.parse(take("at"));
  const nonce = take("nonce");
  if (!(SIGNED_ACTIONS as readonly string[]).includes(action))
    throw new Error(`"${action.slice(0, 20)}" is not an action drbot signs`);
  if (!Number.isFinite(at)) throw new Error("the signed time is not a time");
  if (!NONCE.test(nonce)) throw new Error("the nonce is not 32 hex digits");
  const details: SignedClaim["details"] = {};
  for (const key of DETAIL_KEYS) {
    const value = fields.get(key);
    if (value !== undefined) {
      details[key] = value;
      fields.delete(key);
    }
  }
  const [unknown] = fields.keys();
  if (unknown !== undefined) throw new Error(`"${unknown.slice(0, 20)}" is not a line drbot signs`);
  return { userId, action: action as SignedAction, runId, planHash, at, nonce, details };
}

/** Values are single lines, bounded: a newline could otherwise forge a line of its own. */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, MAX_VALUE);
}
