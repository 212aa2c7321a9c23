import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSshPublicKey, SshKeyError } from "../../../src/domain/evidence/ssh-public-key.js";
import { verifySshSignature } from "../../../src/domain/evidence/sshsig.js";
import {
  type KeyPair,
  type KeyType,
  keyDirectory,
  makeKeyPair,
  sshSign,
  startSshAgent,
} from "../../support/ssh-keys.js";

/**
 * drbot's SSHSIG verifier (node:crypto, no library) against signatures made by the real ssh-keygen
 * of Debian's openssh-client: every key type drbot takes, from a key file and through ssh-agent, and
 * every way a signature can fail to prove what it claims.
 */
const MESSAGE = "drbot approve\nrun: failover-0101-0300-abcdef\n";
const TYPES: KeyType[] = ["ed25519", "ecdsa-256", "ecdsa-384", "ecdsa-521"];

let dir: string;
let cleanup: () => Promise<void>;
const pairs = new Map<KeyType, KeyPair>();

beforeAll(async () => {
  ({ dir, cleanup } = await keyDirectory());
  for (const type of TYPES) pairs.set(type, await makeKeyPair(dir, type, type));
}, 60_000);

afterAll(async () => {
  await cleanup?.();
});

const pair = (type: KeyType) => pairs.get(type)!;
const keysOf = (...types: KeyType[]) => types.map((t) => parseSshPublicKey(pair(t).publicLine));

describe("SSH public keys from the configuration", () => {
  it("reads each key type ssh-keygen makes, with the fingerprint ssh-keygen -l prints", () => {
    for (const type of TYPES) {
      const key = parseSshPublicKey(pair(type).publicLine);
      expect(key.fingerprint, type).toBe(pair(type).fingerprint);
      expect(key.comment).toBe(`${type}@test`);
    }
  });

  it("refuses RSA keys, options before the key, truncated or re-labelled key data, in words", async () => {
    const rsa = await makeKeyPair(dir, "rsa", "rsa");
    const ed = pair("ed25519").publicLine;
    const [type, data] = ed.split(" ") as [string, string];
    const cases: [string, RegExp][] = [
      [rsa.publicLine, /RSA keys are not accepted/],
      [`from="10.0.0.1" ${ed}`, /not a key type drbot takes/],
      [`${type} ${data.slice(0, 40)}`, /not an SSH public key|malformed|not base64/],
      [`${type} ${data}!!`, /not base64/],
      [`ecdsa-sha2-nistp256 ${data}`, /is a ssh-ed25519 key, not ecdsa-sha2-nistp256/],
      ["", /not a key type/],
    ];
    for (const [line, message] of cases) {
      expect(() => parseSshPublicKey(line), line.slice(0, 30)).toThrow(SshKeyError);
      expect(() => parseSshPublicKey(line)).toThrow(message);
    }
  });
});

describe("verifying ssh-keygen -Y sign signatures", () => {
  it("accepts each key type's signature of the message, in the drbot namespace", async () => {
    for (const type of TYPES) {
      const armored = await sshSign(pair(type).privatePath, MESSAGE);
      const check = verifySshSignature({ message: MESSAGE, armored, keys: keysOf(...TYPES) });
      expect(check, type).toMatchObject({ ok: true, fingerprint: pair(type).fingerprint });
    }
  });

  it("accepts a signature made through ssh-agent, given the public key", async () => {
    const agentDir = await keyDirectory();
    const agent = await startSshAgent(agentDir.dir);
    try {
      await agent.add(pair("ecdsa-256").privatePath);
      const armored = await sshSign(pair("ecdsa-256").publicPath, MESSAGE, {
        env: { PATH: process.env.PATH ?? "", SSH_AUTH_SOCK: agent.socket },
      });
      expect(verifySshSignature({ message: MESSAGE, armored, keys: keysOf("ecdsa-256") })).toMatchObject({
        ok: true,
      });
    } finally {
      await agent.stop();
      await agentDir.cleanup();
    }
  });

  it("refuses another message, another namespace, an unregistered key and a tampered signature", async () => {
    const armored = await sshSign(pair("ed25519").privatePath, MESSAGE);
    const keys = keysOf("ed25519");
    expect(verifySshSignature({ message: `${MESSAGE}x`, armored, keys })).toEqual({
      ok: false,
      fingerprint: pair("ed25519").fingerprint,
      reason: "the signature does not match the message",
    });
    const git = await sshSign(pair("ed25519").privatePath, MESSAGE, { namespace: "git" });
    expect(verifySshSignature({ message: MESSAGE, armored: git, keys })).toMatchObject({
      ok: false,
      reason: 'the signature was made for "git", not "drbot"',
    });
    expect(verifySshSignature({ message: MESSAGE, armored, keys: keysOf("ecdsa-256") })).toEqual({
      ok: false,
      fingerprint: pair("ed25519").fingerprint,
      reason: `key ${pair("ed25519").fingerprint} is not registered for this person`,
    });
    const lines = armored.split("\n");
    const body = lines[3]!;
    const flipped = `${body.slice(0, 10)}${body[10] === "A" ? "B" : "A"}${body.slice(11)}`;
    const tampered = [...lines.slice(0, 3), flipped, ...lines.slice(4)].join("\n");
    expect(verifySshSignature({ message: MESSAGE, armored: tampered, keys })).toMatchObject({ ok: false });
  });

  it("refuses an ECDSA signature checked against another key of the same curve", async () => {
    const other = await makeKeyPair(dir, "other-256", "ecdsa-256");
    const armored = await sshSign(pair("ecdsa-256").privatePath, MESSAGE);
    const keys = [parseSshPublicKey(other.publicLine)];
    expect(verifySshSignature({ message: MESSAGE, armored, keys })).toMatchObject({
      ok: false,
      reason: `key ${pair("ecdsa-256").fingerprint} is not registered for this person`,
    });
  });

  it("refuses text that is not an armored signature, without throwing", () => {
    const keys = keysOf("ed25519");
    for (const armored of ["", "hello", "-----BEGIN SSH SIGNATURE-----\n!!\n-----END SSH SIGNATURE-----"])
      expect(verifySshSignature({ message: MESSAGE, armored, keys }).ok).toBe(false);
    expect(
      verifySshSignature({
        message: MESSAGE,
        armored: `-----BEGIN SSH SIGNATURE-----\n${Buffer.from("SSHSIG\0\0\0\x02").toString("base64")}\n-----END SSH SIGNATURE-----`,
        keys,
      }),
    ).toEqual({ ok: false, reason: "the signature is version 2; drbot reads version 1" });
  });
});
