import type { Config, RunKind } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { buildPlan, type StepCatalog, sitesNamedBy } from "../domain/plan.js";
import type { Plan, RunMode } from "../domain/run.js";
import type { Runbook } from "../domain/runbook.js";
import { refuseServingStandby, resolveScope } from "../domain/scope.js";
import type { Serving } from "../domain/site-state.js";
import type { StepKindRegistry } from "../engine/step-kinds/registry.js";

export interface PlanRequest {
  runbook: string;
  targets: readonly string[];
  mode?: RunMode;
  pins?: Record<string, string>;
  /** Take along the applications that share a DNS record with the targets (`--with-shared`). */
  withShared?: boolean;
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

  /** The step kinds plans are built with (and their steps' raw parameters parsed again). */
  get catalog(): StepCatalog {
    return this.registry;
  }

  /** The loaded runbook of that name, if there is one. */
  loaded(name: string): Runbook | undefined {
    return this.runbooks.get(name);
  }

  runbookFor(kind: RunKind): Runbook {
    const found = [...this.runbooks.values()].find((r) => r.kind === kind);
    if (!found) throw new DrError("invalid_input", `no ${kind} runbook is loaded`);
    return found;
  }

  /**
   * The plan for the targets, in the direction which site serves them gives (`serving`, read by the
   * caller). Throws `invalid_input` or `unknown_scope` when the runbook or the targets are not known,
   * and the refusals of src/domain/scope.ts: `already_served`, `mixed_sites`, `shared_record`, and
   * `standby_serving` for a drill or restore test while DR serves.
   */
  plan(input: PlanRequest & { serving: readonly Serving[] }): Plan {
    const runbook = this.runbook(input.runbook);
    const scope = resolveScope(this.config, input.targets, runbook.kind, {
      serving: input.serving,
      withShared: input.withShared === true,
    });
    const mode = input.mode ?? (runbook.kind === "drill" ? "drill" : "real");
    const plan = buildPlan({
      runbook,
      config: this.config,
      scope,
      mode,
      catalog: this.registry,
      ...(input.pins ? { pins: input.pins } : {}),
    });
    refuseServingStandby(runbook.kind, sitesNamedBy(plan, this.registry), input.serving);
    return plan;
  }

  /** How long a request of this runbook waits for its approvals (the default when it is gone). */
  expiryMs(runbook: Runbook | string): number {
    const found = typeof runbook === "string" ? this.runbooks.get(runbook) : runbook;
    return found?.approvals.expiry ?? this.config.approvals.expiry;
  }
}
