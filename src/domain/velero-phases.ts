import type { BackupInfo, BackupPhase, RestoreInfo, RestorePhase } from "./velero.js";

/**
 * What a Velero phase means for a step. Only Completed is success: PartiallyFailed (and the
 * PartiallyFailed variants on the way to it) left errors behind, and a failover on a half-restored
 * application is worse than a paused run. Phases Velero may add later count as still running until
 * the step's deadline, never as success.
 */
export type PhaseVerdict =
  | { state: "running"; phase: string }
  | { state: "succeeded"; phase: "Completed"; summary: string }
  | { state: "failed"; phase: string; evidence: string };

const RESTORE_FAILED: ReadonlySet<RestorePhase> = new Set(["PartiallyFailed", "Failed", "FailedValidation"]);
const BACKUP_FAILED: ReadonlySet<BackupPhase> = new Set([
  "PartiallyFailed",
  "Failed",
  "FailedValidation",
  "Deleting",
]);

export function restoreVerdict(restore: RestoreInfo): PhaseVerdict {
  return verdict(`restore ${restore.name} (from backup ${restore.backupName})`, restore, RESTORE_FAILED);
}

export function backupVerdict(backup: BackupInfo): PhaseVerdict {
  return verdict(`backup ${backup.name}`, backup, BACKUP_FAILED);
}

/** Phases with "PartiallyFailed" in their name already know the outcome will not be Completed. */
export function isPartiallyFailing(phase: string): boolean {
  return phase.includes("PartiallyFailed");
}

function verdict(
  what: string,
  o: {
    phase: string;
    warnings: number;
    errors: number;
    failureReason?: string;
    validationErrors: string[];
  },
  failed: ReadonlySet<string>,
): PhaseVerdict {
  const counts = `${o.errors} error(s), ${o.warnings} warning(s)`;
  if (o.phase === "Completed")
    return { state: "succeeded", phase: "Completed", summary: `${what} Completed with ${counts}` };
  if (!failed.has(o.phase)) return { state: "running", phase: o.phase || "New" };
  const why =
    o.phase === "FailedValidation"
      ? `validation errors: ${o.validationErrors.join("; ") || "none given"}`
      : o.phase === "PartiallyFailed"
        ? "PartiallyFailed is not a success"
        : o.phase === "Deleting"
          ? "it is being deleted"
          : `failure reason: ${o.failureReason || "none given"}`;
  return { state: "failed", phase: o.phase, evidence: `${what} ended ${o.phase} with ${counts}; ${why}` };
}
