import type { StepCatalog, StepKindDescription } from "../../domain/plan.js";
import type { AnyStepKind } from "../step-kind.js";
import { approvalGateStep } from "./approval-gate.js";
import { backupVerifyStep } from "./backup-verify.js";
import { checklistStep } from "./checklist.js";
import { dbCatchUpStep } from "./db-catch-up.js";
import { dbLagGateStep } from "./db-lag-gate.js";
import { dbPromoteStep } from "./db-promote.js";
import { dbReadOnlyStep } from "./db-read-only.js";
import { dbReadWriteStep } from "./db-read-write.js";
import { dbRejoinStep } from "./db-rejoin.js";
import { dnsSwitchStep } from "./dns-switch.js";
import { dnsWaitTtlStep } from "./dns-wait-ttl.js";
import { etcdSnapshotStep } from "./etcd-snapshot.js";
import { httpCheckStep } from "./http-check.js";
import { k8sCapacityStep } from "./k8s-capacity.js";
import { k8sCronJobsStep } from "./k8s-cronjobs.js";
import { k8sDeleteNamespaceStep } from "./k8s-delete-namespace.js";
import { k8sDiffStep } from "./k8s-diff.js";
import { k8sFenceStep } from "./k8s-fence.js";
import { k8sHealthStep } from "./k8s-health.js";
import { k8sIsolateStep, k8sUnisolateStep } from "./k8s-isolation.js";
import { k8sHoldWorkloadsStep, k8sSandboxStep } from "./k8s-sandbox.js";
import { k8sScaleStep } from "./k8s-scale.js";
import { k8sSnapshotStep } from "./k8s-snapshot.js";
import { k8sVerifyCleanStep } from "./k8s-verify-clean.js";
import { k8sWaitReadyStep } from "./k8s-wait-ready.js";
import { longhornActivateStep } from "./longhorn-activate.js";
import { longhornBackupStep } from "./longhorn-backup.js";
import { longhornStandbyStep } from "./longhorn-standby.js";
import { notifyStep } from "./notify.js";
import { shellStep } from "./shell.js";
import { siteProbeStep } from "./site-probe.js";
import { siteServingStep } from "./site-serving.js";
import { siteStandbyStep } from "./site-standby.js";
import { veleroBackupStep } from "./velero-backup.js";
import { veleroRestoreStep } from "./velero-restore.js";
import { veleroSettleRestoresStep } from "./velero-settle-restores.js";
import { veleroStorageLocationStep } from "./velero-storage-location.js";
import { veleroVerifyRestoreStep } from "./velero-verify-restore.js";
import { waitStep } from "./wait.js";

/**
 * Every step kind the engine knows, one file each under src/engine/step-kinds. A kind whose service
 * is not configured in a process (no Velero, no DNS provider) fails its step with a clear message
 * and pauses the run; it never pretends the step happened.
 */
export class StepKindRegistry implements StepCatalog {
  private readonly byKind = new Map<string, AnyStepKind>();

  register(...kinds: AnyStepKind[]): this {
    for (const kind of kinds) this.byKind.set(kind.kind, kind);
    return this;
  }

  get(kind: string): AnyStepKind | undefined {
    return this.byKind.get(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()].sort();
  }

  /** What the plan builder asks of a kind: every kind parses, summarizes and names its sites itself. */
  describe(kind: string): StepKindDescription | undefined {
    return this.byKind.get(kind);
  }
}

export const GENERIC_STEP_KINDS: AnyStepKind[] = [
  shellStep,
  httpCheckStep,
  checklistStep,
  approvalGateStep,
  waitStep,
  notifyStep,
  backupVerifyStep,
];

export const KUBERNETES_STEP_KINDS: AnyStepKind[] = [
  k8sHealthStep,
  k8sCapacityStep,
  k8sFenceStep,
  k8sScaleStep,
  k8sCronJobsStep,
  k8sWaitReadyStep,
  k8sSnapshotStep,
  k8sDiffStep,
  k8sIsolateStep,
  k8sUnisolateStep,
  k8sVerifyCleanStep,
  k8sDeleteNamespaceStep,
  k8sSandboxStep,
  k8sHoldWorkloadsStep,
];

/**
 * PostgreSQL replication (services.replication): the lag gate, stopping writes, waiting until a
 * replica has caught up, promotion, and making a server a replica of the other again.
 */
export const DATABASE_STEP_KINDS: AnyStepKind[] = [
  dbLagGateStep,
  dbReadOnlyStep,
  dbReadWriteStep,
  dbCatchUpStep,
  dbPromoteStep,
  dbRejoinStep,
];
export const VELERO_STEP_KINDS: AnyStepKind[] = [
  veleroBackupStep,
  veleroRestoreStep,
  veleroSettleRestoresStep,
  veleroStorageLocationStep,
  veleroVerifyRestoreStep,
];

/** Longhorn: DR volume activation (services.longhorn). */
export const LONGHORN_STEP_KINDS: AnyStepKind[] = [
  longhornActivateStep,
  longhornBackupStep,
  longhornStandbyStep,
];

export function createStepKindRegistry(...extra: AnyStepKind[]): StepKindRegistry {
  return new StepKindRegistry().register(
    ...GENERIC_STEP_KINDS,
    ...KUBERNETES_STEP_KINDS,
    ...DATABASE_STEP_KINDS,
    dnsSwitchStep,
    dnsWaitTtlStep,
    siteServingStep,
    siteStandbyStep,
    siteProbeStep,
    etcdSnapshotStep,
    ...VELERO_STEP_KINDS,
    ...LONGHORN_STEP_KINDS,
    ...extra,
  );
}
