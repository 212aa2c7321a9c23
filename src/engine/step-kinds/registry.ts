import type { StepCatalog, StepKindDescription } from "../../domain/plan.js";
import type { AnyStepKind } from "../step-kind.js";
import { approvalGateStep } from "./approval-gate.js";
import { checklistStep } from "./checklist.js";
import { declaredStepKinds } from "./declared.js";
import { httpCheckStep } from "./http-check.js";
import { notifyStep } from "./notify.js";
import { shellStep } from "./shell.js";
import { waitStep } from "./wait.js";

/**
 * Every step kind the engine knows. Adapters register their kinds over the declared ones, so a
 * runbook that validates here keeps validating when the real executor arrives.
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

  describe(kind: string): StepKindDescription | undefined {
    const found = this.byKind.get(kind);
    if (!found) return undefined;
    return {
      parse(params) {
        const result = found.params.safeParse(params);
        if (result.success) return { ok: true, value: result.data };
        return {
          ok: false,
          issues: result.error.issues.map((i) => ({
            path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
            message: i.message,
          })),
        };
      },
      summarize: (params) => found.summarize(params),
    };
  }
}

export const GENERIC_STEP_KINDS: AnyStepKind[] = [
  shellStep,
  httpCheckStep,
  checklistStep,
  approvalGateStep,
  waitStep,
  notifyStep,
];

export function createStepKindRegistry(...extra: AnyStepKind[]): StepKindRegistry {
  return new StepKindRegistry().register(...declaredStepKinds, ...GENERIC_STEP_KINDS, ...extra);
}
