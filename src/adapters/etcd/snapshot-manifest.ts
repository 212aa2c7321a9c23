import { readFile, rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { z } from "zod";

/**
 * What drbot knows about a snapshot it saved and verified, written beside it as `<file>.json`
 * (plus `<file>.sha256` in sha256sum's format, for people checking by hand). Every later
 * verification compares the file with it: same size, same SHA-256, same etcd hash and revision.
 */
export const snapshotManifestSchema = z
  .object({
    format: z.literal(1),
    source: z.string().min(1),
    file: z.string().min(1),
    sizeBytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    hash: z.number().int().nonnegative(),
    revision: z.number().int().nonnegative(),
    totalKeys: z.number().int().nonnegative(),
    totalSize: z.number().int().nonnegative(),
    version: z.string(),
    takenAt: z.number().int().positive(),
    endpoint: z.string(),
    runId: z.string().optional(),
    stepId: z.string().optional(),
  })
  .strict();
export type SnapshotManifest = z.output<typeof snapshotManifestSchema>;

export const manifestPath = (file: string) => `${file}.json`;
export const checksumPath = (file: string) => `${file}.sha256`;

/** etcd-snapshot-<source>-<UTC yyyymmdd-hhmmss-mmm>.db: the seed's name, with the source and ms. */
export function snapshotFileName(source: string, takenAt: number): string {
  const iso = new Date(takenAt).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}-${iso.slice(20, 23)}`;
  return `etcd-snapshot-${source}-${stamp}.db`;
}

export function isSnapshotOf(source: string, name: string): boolean {
  return name.startsWith(`etcd-snapshot-${source}-`) && name.endsWith(".db");
}

/** The manifest beside `file`; undefined when there is none, an error text when it is unreadable. */
export async function readManifest(
  file: string,
): Promise<SnapshotManifest | undefined | { invalid: string }> {
  let text: string;
  try {
    text = await readFile(manifestPath(file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { invalid: `manifest unreadable (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  }
  try {
    const parsed = snapshotManifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { invalid: `manifest malformed (${parsed.error.issues[0]?.message ?? "?"})` };
    if (parsed.data.file !== basename(file)) return { invalid: `manifest describes ${parsed.data.file}` };
    return parsed.data;
  } catch {
    // The parser's message would quote the file; that it is not JSON is what a person needs.
    return { invalid: "manifest is not JSON" };
  }
}

/** Writes the manifest and the checksum file for `file`, each through a rename so none is half written. */
export async function writeManifest(file: string, manifest: SnapshotManifest): Promise<void> {
  const write = async (path: string, text: string) => {
    await writeFile(`${path}.tmp`, text, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  };
  await write(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`);
  await write(checksumPath(file), `${manifest.sha256}  ${manifest.file}\n`);
}
