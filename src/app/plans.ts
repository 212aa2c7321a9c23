import type { Config, RunKind } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { buildPlan } from "../domain/plan.js";
import type { Plan, RunMode } from "../domain/run.js";
import type { Runbook } from "../domain/runbook.js";
import { resolveScope } from "../domain/scope.js";
import type { StepKindRegistry } from "../engine/step-kinds/registry.js";

export interface PlanRequest {
  runbook: string;
  targets: readonly string[];
  mode?: RunMode;
  pins?: Record<string, string>;
}

/** The loaded runbooks, and the plan one of them gives for a scope today. */
export class Plans {
  constructor(
    private readonly config: Config,
    private readonly runbooks: ReadonlyMap<string, Runbook>,
    private readonly registry: StepKindRegistry,
  ) {}

  runbook(name: string): Runbook {
    const found = this.runbooks.get(name);
    if (!found)
      throw new DrError(
        "invalid_input",
        `no runbook named "${name}"; known: ${[...this.runbooks.keys()].join(", ")}`,
      );
    return found;
  }

  runbookFor(kind: RunKind): Runbook {
    const found = [...this.runbooks.values()].find((r) => r.kind === kind);
    if (!found) throw new DrError("invalid_input", `no ${kind} runbook is loaded`);
    return found;
  }

  /** Throws `invalid_input` or `unknown_scope` when the runbook or the targets are not known. */
  plan(input: PlanRequest): Plan {
    const runbook = this.runbook(input.runbook);
    const scope = resolveScope(this.config, input.targets, runbook.kind);
    const mode = input.mode ?? (runbook.kind === "drill" ? "drill" : "real");
    return buildPlan({
      runbook,
      config: this.config,
      scope,
      mode,
      catalog: this.registry,
      ...(input.pins ? { pins: input.pins } : {}),
    });
  }

  /** How long a request of this runbook waits for its approvals (the default when it is gone). */
  expiryMs(runbook: Runbook | string): number {
    const found = typeof runbook === "string" ? this.runbooks.get(runbook) : runbook;
    return found?.approvals.expiry ?? this.config.approvals.expiry;
  }
}
