import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { decodeBase64, SshReader } from "./ssh-wire.js";

/**
 * A person's public key as authorized_keys writes it (`ssh-ed25519 AAAAC3… alice@laptop`). drbot
 * takes ed25519 and ECDSA keys (nistp256, nistp384, nistp521): what `ssh-keygen -Y sign` signs with
 * and node:crypto verifies without another library.
 */
export interface SshPublicKey {
  type: SshKeyType;
  /** The key in SSH wire encoding: what a signature names its signer by. */
  blob: Buffer;
  /** As `ssh-keygen -l` prints it: SHA256:base64 of the blob. */
  fingerprint: string;
  comment: string;
  key: KeyObject;
}

export const SSH_KEY_TYPES = {
  "ssh-ed25519": { curve: "Ed25519", hash: null, coordinate: 32 },
  "ecdsa-sha2-nistp256": { curve: "P-256", hash: "sha256", coordinate: 32, name: "nistp256" },
  "ecdsa-sha2-nistp384": { curve: "P-384", hash: "sha384", coordinate: 48, name: "nistp384" },
  "ecdsa-sha2-nistp521": { curve: "P-521", hash: "sha512", coordinate: 66, name: "nistp521" },
} as const;

export type SshKeyType = keyof typeof SSH_KEY_TYPES;

const REFUSED_TYPES: Record<string, string> = {
  "ssh-rsa": "RSA keys are not accepted; use an ed25519 or ECDSA key (ssh-keygen -t ed25519)",
  "ssh-dss": "DSA keys are not accepted; use an ed25519 or ECDSA key (ssh-keygen -t ed25519)",
  "sk-ssh-ed25519@openssh.com": "security-key (sk-) keys are not accepted yet; use an ed25519 or ECDSA key",
  "sk-ecdsa-sha2-nistp256@openssh.com":
    "security-key (sk-) keys are not accepted yet; use an ed25519 or ECDSA key",
};

/** Why a line is not a usable public key, in words for the person who wrote the configuration. */
export class SshKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SshKeyError";
  }
}

export function isSshKeyType(type: string): type is SshKeyType {
  return Object.hasOwn(SSH_KEY_TYPES, type);
}

/**
 * Parses one authorized_keys line (`TYPE BASE64 [COMMENT]`); throws SshKeyError saying what is
 * wrong. Options before the type (`from="…"`) are refused rather than ignored: drbot would not honour
 * them, and a key that looks restricted but is not would mislead whoever reads the configuration.
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  const [type = "", data = "", ...rest] = line.trim().split(/\s+/);
  if (REFUSED_TYPES[type]) throw new SshKeyError(REFUSED_TYPES[type]);
  if (!isSshKeyType(type))
    throw new SshKeyError(
      `"${type.slice(0, 40)}" is not a key type drbot takes (write the key as ssh-keygen prints it: ssh-ed25519 AAAA… or ecdsa-sha2-nistp256 AAAA…; no options before it)`,
    );
  const blob = decodeBase64(data);
  if (!blob) throw new SshKeyError(`the ${type} key's data is not base64`);
  const key = keyFromBlob(blob, type);
  return { type, blob, fingerprint: fingerprintOf(blob), comment: rest.join(" "), key };
}

/** `SHA256:…` as ssh-keygen -l prints it (unpadded base64 of the blob's SHA-256). */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The key a wire-encoded blob holds, checked against the type it should be; throws SshKeyError.
 * Used for configured keys and for the key a signature names.
 */
export function keyFromBlob(blob: Buffer, expected?: SshKeyType): KeyObject {
  let reader: SshReader;
  let type: string;
  try {
    reader = new SshReader(blob);
    type = reader.text();
  } catch {
    // The reader's own message (a length past the end) says less than this one does.
    throw new SshKeyError("the key's data is not an SSH public key");
  }
  if (expected && type !== expected)
    throw new SshKeyError(`the key's data is a ${type.slice(0, 40)} key, not ${expected}`);
  if (!isSshKeyType(type)) throw new SshKeyError(`${type.slice(0, 40)} keys are not accepted`);
  try {
    if (type === "ssh-ed25519") {
      const x = reader.bytes();
      reader.end();
      if (x.length !== 32) throw new SshKeyError("an ed25519 key is 32 bytes");
      return createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: x.toString("base64url") },
        format: "jwk",
      });
    }
    const spec = SSH_KEY_TYPES[type];
    const curve = reader.text();
    const point = reader.bytes();
    reader.end();
    if (curve !== spec.name)
      throw new SshKeyError(`the key names curve ${curve.slice(0, 20)}, not ${spec.name}`);
    if (point.length !== 1 + 2 * spec.coordinate || point[0] !== 0x04)
      throw new SshKeyError(`the ${spec.name} point is not an uncompressed point of that curve`);
    const x = point.subarray(1, 1 + spec.coordinate).toString("base64url");
    const y = point.subarray(1 + spec.coordinate).toString("base64url");
    return createPublicKey({ key: { kty: "EC", crv: spec.curve, x, y }, format: "jwk" });
  } catch (error) {
    if (error instanceof SshKeyError) throw error;
    throw new SshKeyError(
      `the ${type} key is malformed (${error instanceof Error ? error.message : "unreadable"})`,
    );
  }
}
