import { describeError } from "../../domain/errors.js";
import type { RestoreInfo, RestoreResults } from "../../domain/velero.js";
import type { PhaseVerdict } from "../../domain/velero-phases.js";
import { describeFailures, judgeWarnings, listMessages, messageLines } from "../../domain/velero-results.js";
import type { VeleroPort } from "../../ports/velero.js";
import type { StepContext, StepResult } from "../step-kind.js";

/**
 * What a finished Restore means for the step, with Velero's own words. Only Completed succeeds, and
 * only when every warning is one the runbook accepts (`acceptWarnings`): PartiallyFailed, Failed and
 * a warning nobody foresaw fail the step, so the run pauses with Velero's errors and warnings on its
 * progress message. Velero keeps those messages in the storage location, not on the Restore; when
 * they cannot be read, a Completed restore with warnings still fails (nobody can tell they are
 * harmless) and the error says why they are missing.
 */
export async function judgeRestore(
  ctx: StepContext,
  velero: Pick<VeleroPort, "site" | "restoreResults">,
  restore: RestoreInfo,
  verdict: PhaseVerdict,
  accept: readonly RegExp[],
): Promise<StepResult> {
  const on = `on ${velero.site}`;
  if (verdict.state === "running") return { status: "failed", error: `${verdict.phase} ${on}` };
  const counted = restore.errors > 0 || restore.warnings > 0;
  if (verdict.state === "succeeded" && !counted)
    return { status: "succeeded", output: `${verdict.summary} ${on}` };

  let results: RestoreResults | undefined;
  let unreadable: string | undefined;
  if (counted || restore.phase !== "FailedValidation") {
    try {
      results = await velero.restoreResults(restore.name, { signal: ctx.signal });
      if (!results) unreadable = "Velero has no results for it in the storage location";
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      unreadable = describeError(error);
    }
  }
  const judged = results ? judgeWarnings(results, accept) : undefined;
  if (results && judged) {
    // Counted here; the messages themselves follow in the result, the ones that matter first (a
    // step's output is clipped in Slack, and the verdict must not be what gets cut).
    const errors = messageLines(results.errors).length;
    ctx.log(
      `Velero's messages for restore ${restore.name}: ${errors} error(s), ${judged.unaccepted.length} warning(s) not accepted, ${judged.accepted.length} accepted by the runbook`,
    );
  }
  const accepted = judged?.accepted.length
    ? ` (${judged.accepted.length} warning(s) accepted by the runbook)`
    : "";
  const details =
    results && judged
      ? describeFailures(results, judged.unaccepted)
      : unreadable && counted
        ? `Velero's messages could not be read: ${unreadable}; \`velero restore describe ${restore.name} --details\` shows them`
        : "";

  if (verdict.state === "failed")
    return { status: "failed", error: join(`${verdict.evidence} ${on}${accepted}`, details) };
  if (!judged)
    return {
      status: "failed",
      error: join(
        `${verdict.summary} ${on}: a warning is a failure unless the runbook accepts it, and these could not be read`,
        details,
      ),
    };
  if (judged.unaccepted.length > 0)
    return {
      status: "failed",
      error: join(
        `${verdict.summary} ${on}; ${judged.unaccepted.length} warning(s) the runbook does not accept${accepted}`,
        details,
      ),
    };
  return {
    status: "succeeded",
    output: join(
      `${verdict.summary} ${on}; every warning is one the runbook accepts:`,
      listMessages(judged.accepted, 8, 200),
    ),
  };
}

function join(head: string, details: string): string {
  return details ? `${head}\n${details}` : head;
}
