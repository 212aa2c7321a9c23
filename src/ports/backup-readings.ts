import type { RpoReading } from "../domain/rpo.js";

/**
 * The per-source readings that feed the live RPO (Velero, Longhorn, etcd, replication lag), as the
 * backup.verify step judges them. Contract: resolves one reading per configured source, each under
 * its own deadline; a source that cannot be read is a reading that says so, never a rejection.
 */
export interface BackupReadings {
  readRpo(): Promise<RpoReading[]>;
}
