import { z } from "zod";
import { gateApprovals } from "../../domain/approval-gate.js";
import { defineStepKind } from "../step-kind.js";

const gateParams = z
  .object({
    required: z.number().int().min(1).max(10).default(1),
    prompt: z.string().min(1).max(300).default("Approve to continue"),
  })
  .strict();

/**
 * A gate inside a run (for example before moving traffic): waits for N eligible people other than
 * the requester to approve. Eligibility is checked when they click, like run approvals.
 */
export const approvalGateStep = defineStepKind({
  kind: "approval",
  description: "Waits for eligible approvers (not the requester) before the run goes on.",
  params: gateParams,
  siteParams: [],
  idempotent: true,
  summarize: (p) => `approval gate: ${p.required} approver${p.required === 1 ? "" : "s"}`,
  async execute(ctx, p) {
    const approvers = gateApprovals(ctx.attestations, ctx.run.requestedBy).map((a) => a.userId);
    if (approvers.length < p.required)
      return { status: "waiting", output: `${p.prompt}: ${approvers.length}/${p.required} approvals` };
    return { status: "succeeded", output: `approved by ${approvers.join(", ")}` };
  },
});
