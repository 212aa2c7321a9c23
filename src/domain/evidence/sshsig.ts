import { createHash, verify } from "node:crypto";
import { fingerprintOf, SSH_KEY_TYPES, type SshPublicKey } from "./ssh-public-key.js";
import { decodeBase64, SshReader, sshString } from "./ssh-wire.js";

/**
 * SSH signatures as `ssh-keygen -Y sign` writes them (OpenSSH's PROTOCOL.sshsig): an armored blob
 * naming the signer's public key, a namespace, the hash of the message and the signature over them.
 * Verified here with node:crypto alone, so a CLI approval is checked by whoever holds the public keys
 * (the configuration), never by anything the signer or Redis says.
 */

/** The namespace every drbot signature is made in (`ssh-keygen -Y sign -n drbot`). */
export const SSHSIG_NAMESPACE = "drbot";

const MAGIC = Buffer.from("SSHSIG");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";
/** An armored ed25519 or ECDSA signature is well under 1 KiB; anything much larger is not one. */
const MAX_ARMOR = 4_096;

export interface SshSignature {
  /** The signer's public key blob and its fingerprint, as the signature names it. */
  publicKey: Buffer;
  fingerprint: string;
  namespace: string;
  hashAlgorithm: "sha256" | "sha512";
  signatureType: string;
  signature: Buffer;
}

export type SshSignatureCheck =
  | { ok: true; key: SshPublicKey; fingerprint: string }
  | { ok: false; reason: string; fingerprint?: string };

/** Reads an armored SSHSIG signature; throws with what is wrong. */
export function parseSshSignature(armored: string): SshSignature {
  const text = armored.trim();
  if (text.length > MAX_ARMOR) throw new Error("is too long to be an SSH signature");
  if (!text.startsWith(BEGIN) || !text.endsWith(END))
    throw new Error(`is not an armored SSH signature (${BEGIN} … ${END})`);
  const blob = decodeBase64(text.slice(BEGIN.length, text.length - END.length));
  if (!blob) throw new Error("is not base64 between its armor lines");
  const reader = new SshReader(blob);
  try {
    if (!reader.fixed(MAGIC.length).equals(MAGIC)) throw new Error("does not start with SSHSIG");
    const version = reader.uint32();
    if (version !== 1) throw new Error(`is version ${version}; drbot reads version 1`);
    const publicKey = reader.bytes();
    const namespace = reader.text();
    reader.bytes(); // reserved: ignored, as the format says
    const hashAlgorithm = reader.text();
    const signatureBlob = reader.bytes();
    reader.end();
    if (hashAlgorithm !== "sha256" && hashAlgorithm !== "sha512")
      throw new Error(`hashes with ${hashAlgorithm.slice(0, 20)}, not sha256 or sha512`);
    const inner = new SshReader(signatureBlob);
    const signatureType = inner.text();
    const signature = inner.bytes();
    inner.end();
    return {
      publicKey,
      fingerprint: fingerprintOf(publicKey),
      namespace,
      hashAlgorithm,
      signatureType,
      signature,
    };
  } catch (error) {
    throw new Error(error instanceof Error ? error.message : "is malformed");
  }
}

/**
 * Whether `armored` is a valid signature of `message` in `namespace` by one of `keys`. Says why not:
 * malformed, another namespace, a key not among `keys` (with that key's fingerprint), or a signature
 * that does not verify.
 */
export function verifySshSignature(input: {
  message: string;
  armored: string;
  keys: readonly SshPublicKey[];
  namespace?: string;
}): SshSignatureCheck {
  let sig: SshSignature;
  try {
    sig = parseSshSignature(input.armored);
  } catch (error) {
    return { ok: false, reason: `the signature ${error instanceof Error ? error.message : "is malformed"}` };
  }
  const fingerprint = sig.fingerprint;
  const namespace = input.namespace ?? SSHSIG_NAMESPACE;
  if (sig.namespace !== namespace)
    return {
      ok: false,
      fingerprint,
      reason: `the signature was made for "${sig.namespace.slice(0, 40)}", not "${namespace}"`,
    };
  const key = input.keys.find((k) => k.blob.equals(sig.publicKey));
  if (!key) return { ok: false, fingerprint, reason: `key ${fingerprint} is not registered for this person` };
  if (sig.signatureType !== key.type)
    return {
      ok: false,
      fingerprint,
      reason: `a ${key.type} key cannot make a ${sig.signatureType.slice(0, 40)} signature`,
    };
  const digest = createHash(sig.hashAlgorithm).update(input.message, "utf8").digest();
  const signed = Buffer.concat([
    MAGIC,
    sshString(namespace),
    sshString(""),
    sshString(sig.hashAlgorithm),
    sshString(digest),
  ]);
  return verifyWithKey(key, signed, sig.signature)
    ? { ok: true, key, fingerprint }
    : { ok: false, fingerprint, reason: "the signature does not match the message" };
}

function verifyWithKey(key: SshPublicKey, data: Buffer, signature: Buffer): boolean {
  try {
    if (key.type === "ssh-ed25519") return signature.length === 64 && verify(null, data, key.key, signature);
    const spec = SSH_KEY_TYPES[key.type];
    const p1363 = ecdsaSignature(signature, spec.coordinate);
    return p1363 !== undefined && verify(spec.hash, data, { key: key.key, dsaEncoding: "ieee-p1363" }, p1363);
  } catch {
    // node:crypto throws on signatures it cannot even parse: they do not verify.
    return false;
  }
}

/** SSH writes an ECDSA signature as two mpints (r, s); node:crypto verifies their fixed-width concatenation. */
function ecdsaSignature(blob: Buffer, width: number): Buffer | undefined {
  try {
    const reader = new SshReader(blob);
    const r = unsigned(reader.bytes(), width);
    const s = unsigned(reader.bytes(), width);
    reader.end();
    return r && s ? Buffer.concat([r, s]) : undefined;
  } catch {
    // A malformed signature blob is a signature that does not verify; the caller says so.
    return undefined;
  }
}

/** An mpint as an unsigned integer of exactly `width` bytes; undefined when it is negative or too large. */
function unsigned(mpint: Buffer, width: number): Buffer | undefined {
  if (mpint.length > 0 && (mpint[0]! & 0x80) !== 0) return undefined;
  let start = 0;
  while (start < mpint.length && mpint[start] === 0) start++;
  const digits = mpint.subarray(start);
  if (digits.length > width) return undefined;
  return Buffer.concat([Buffer.alloc(width - digits.length), digits]);
}
