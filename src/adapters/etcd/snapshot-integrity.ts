import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** A bolt database is whole pages; etcd appends the SHA-256 of the database to a snapshot it sends. */
const SHA256_BYTES = 32;
const PAGE_ALIGNMENT = 512;

export interface FileIntegrity {
  sizeBytes: number;
  /** SHA-256 of the whole file, as written in the manifest and the .sha256 file. */
  sha256: string;
  /** etcd's own integrity hash: present, and whether the database matches it. */
  embedded: "matches" | "mismatch" | "absent";
}

/**
 * Reads the file once and computes both its SHA-256 and etcd's embedded one (the last 32 bytes are
 * the SHA-256 of everything before them; `etcdutl snapshot restore` refuses a file where they
 * differ). `etcdutl snapshot status` alone does not look at it: a snapshot with flipped bytes in
 * a data page still reports a hash and revision, so this check is what catches it.
 */
export async function readIntegrity(file: string, signal: AbortSignal): Promise<FileIntegrity> {
  const whole = createHash("sha256");
  const content = createHash("sha256");
  let tail = Buffer.alloc(0);
  let size = 0;
  const stream = createReadStream(file, { signal, highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    whole.update(chunk);
    const joined = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const cut = Math.max(0, joined.length - SHA256_BYTES);
    if (cut > 0) content.update(joined.subarray(0, cut));
    tail = Buffer.from(joined.subarray(cut));
  }
  const hasEmbedded = size > SHA256_BYTES && size % PAGE_ALIGNMENT === SHA256_BYTES;
  return {
    sizeBytes: size,
    sha256: whole.digest("hex"),
    embedded: !hasEmbedded ? "absent" : content.digest().equals(tail) ? "matches" : "mismatch",
  };
}
