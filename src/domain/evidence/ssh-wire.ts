/**
 * The SSH wire encoding (RFC 4251 section 5) that public keys and SSHSIG signatures are written in:
 * big-endian uint32 lengths before byte strings. Reading past the end throws; callers turn that into
 * "malformed".
 */
export class SshReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  uint32(): number {
    if (this.offset + 4 > this.buffer.length) throw new SshWireError("ends inside a length");
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A length-prefixed byte string. */
  bytes(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.buffer.length) throw new SshWireError("ends inside a field");
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A length-prefixed string of printable ASCII (names, namespaces); anything else is malformed. */
  text(): string {
    const value = this.bytes();
    if (!/^[\x20-\x7e]*$/.test(value.toString("latin1")))
      throw new SshWireError("has a name that is not text");
    return value.toString("latin1");
  }

  /** Raw bytes of a known length (a magic preamble). */
  fixed(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new SshWireError("is too short");
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** Throws unless every byte was read: trailing bytes are not tolerated. */
  end(): void {
    if (this.offset !== this.buffer.length) throw new SshWireError("has bytes after its last field");
  }
}

export class SshWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SshWireError";
  }
}

/** Encodes byte strings the way SshReader.bytes reads them. */
export function sshString(value: Buffer | string): Buffer {
  const body = typeof value === "string" ? Buffer.from(value, "latin1") : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** Strict base64 (RFC 4648, padding optional): whitespace inside is allowed, any other stray character is not. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const decoded = Buffer.from(compact, "base64");
  // Node ignores what it cannot decode; a round trip proves nothing was dropped.
  if (decoded.toString("base64").replace(/=+$/, "") !== compact.replace(/=+$/, "")) return undefined;
  return decoded;
}
