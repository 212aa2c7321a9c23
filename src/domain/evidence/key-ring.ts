import { parseSshPublicKey, SshKeyError, type SshPublicKey } from "./ssh-public-key.js";

/**
 * Each person's registered public keys (`approvals.keys` in the configuration: Slack user ID to
 * authorized_keys lines), parsed once. The configuration was checked when it was loaded, so every
 * line here parses.
 */
export class KeyRing {
  private constructor(private readonly keys: ReadonlyMap<string, readonly SshPublicKey[]>) {}

  static from(lines: Readonly<Record<string, readonly string[]>>): KeyRing {
    return new KeyRing(
      new Map(
        Object.entries(lines).map(([userId, list]) => [userId, list.map((line) => parseSshPublicKey(line))]),
      ),
    );
  }

  static empty(): KeyRing {
    return new KeyRing(new Map());
  }

  keysOf(userId: string): readonly SshPublicKey[] {
    return this.keys.get(userId) ?? [];
  }

  /** Whose key has this fingerprint (a refusal names the person a stray key belongs to). */
  ownerOf(fingerprint: string): string | undefined {
    for (const [userId, keys] of this.keys)
      if (keys.some((k) => k.fingerprint === fingerprint)) return userId;
    return undefined;
  }
}

/**
 * Checks `approvals.keys` for the configuration schema: the problems of each line, with where it is,
 * so a malformed key stops drbot at start-up naming its path.
 */
export function keyLineProblems(
  lines: Readonly<Record<string, readonly string[]>>,
): { path: [string, number]; message: string }[] {
  const problems: { path: [string, number]; message: string }[] = [];
  const seen = new Map<string, string>();
  for (const [userId, list] of Object.entries(lines)) {
    list.forEach((line, index) => {
      try {
        const key = parseSshPublicKey(line);
        const owner = seen.get(key.fingerprint);
        if (owner !== undefined && owner !== userId)
          problems.push({
            path: [userId, index],
            message: `key ${key.fingerprint} is also registered for ${owner}; each key proves one person`,
          });
        seen.set(key.fingerprint, userId);
      } catch (error) {
        problems.push({
          path: [userId, index],
          message: error instanceof SshKeyError ? error.message : "is not a public key",
        });
      }
    });
  }
  return problems;
}
