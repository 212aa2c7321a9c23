import type { RunKind } from "../domain/config.js";
import { unreadRisk } from "../domain/data-loss.js";
import { formatMs } from "../domain/duration.js";
import { describeError } from "../domain/errors.js";
import { rpoRiskOf, runExposure, type TierRpo } from "../domain/rpo.js";
import type { RpoRisk, RunMode, RunScope } from "../domain/run.js";
import { answerWithin } from "./answer-within.js";
import type { AppContext } from "./app-context.js";
import { readTierRpo } from "./read-status.js";

export interface DataLossReading {
  /** The scope's worst tier as read (undefined when the reading failed or nothing protects it). */
  exposure: TierRpo | undefined;
  /** What approvers must accept; undefined only when the reading says the scope is within its RPO. */
  risk: RpoRisk | undefined;
}

const SILENT: DataLossReading = { exposure: undefined, risk: undefined };

/**
 * The data a run would lose, read now. Only a real failover loses data (a drill leaves the primary
 * running, a failback follows a sync); without any RPO reader in this process nothing is measured.
 * A reading that fails or does not answer within the status deadline is unknown, and unknown counts
 * as over the RPO: approvers must accept it, never as no risk.
 */
export async function readDataLoss(
  ctx: AppContext,
  run: { kind: RunKind; mode: RunMode; scope: Pick<RunScope, "tiers"> },
  operation: string,
): Promise<DataLossReading> {
  if (!ctx.readRpo || run.kind !== "failover" || run.mode !== "real") return SILENT;
  const target = strictestTier(ctx, run.scope.tiers);
  if (!target) return SILENT;
  const timedOut = Symbol("timed out");
  let tiers: TierRpo[] | typeof timedOut;
  try {
    tiers = await answerWithin<TierRpo[] | typeof timedOut>(readTierRpo(ctx), ctx.statusDeadlineMs, timedOut);
  } catch (error) {
    ctx.log.warn("could not read the RPO; the data at risk is unknown and must be accepted", {
      operation,
      err: error,
    });
    return { exposure: undefined, risk: unreadRisk(target, describeError(error), ctx.clock.now()) };
  }
  const now = ctx.clock.now();
  if (tiers === timedOut)
    return {
      exposure: undefined,
      risk: unreadRisk(target, `no answer within ${formatMs(ctx.statusDeadlineMs)}`, now),
    };
  const exposure = runExposure(tiers, run.scope.tiers);
  const risk = rpoRiskOf(exposure);
  return { exposure, risk: risk ? { ...risk, readAt: now } : undefined };
}

/** The scope's tier with the tightest RPO, which an unread exposure is measured against. */
function strictestTier(
  ctx: AppContext,
  tiers: readonly string[],
): { tier: string; targetMs: number } | undefined {
  return ctx.config.tiers
    .filter((t) => tiers.includes(t.name))
    .sort((a, b) => a.rpo - b.rpo)
    .map((t) => ({ tier: t.name, targetMs: t.rpo }))[0];
}
