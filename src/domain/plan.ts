import type { ApplicationConfig, Config } from "./config.js";
import { recordsOfScope } from "./dns-weights.js";
import { DrError } from "./errors.js";
import { forEachItems, healthCheckGaps } from "./for-each.js";
import { hashPlan } from "./plan-hash.js";
import { withRtoPhases } from "./rto.js";
import type { Plan, PlanStep, RunMode, RunScope } from "./run.js";
import type { Runbook, RunbookStep } from "./runbook.js";
import { scopeApplications } from "./scope.js";
import { type Decider, resolveCondition } from "./step-condition.js";
import { findCycle } from "./step-graph.js";
import { expandTemplate, TemplateError } from "./template.js";

/** What the plan builder needs to know of step kinds; the engine's registry provides it. */
export interface StepCatalog {
  describe(kind: string): StepKindDescription | undefined;
  kinds(): string[];
}

export type ParamsParse =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; issues: { path: (string | number)[]; message: string }[] };

/** A parameter that names a site, where it is in the step's params and the site it names. */
export interface SiteReference {
  path: (string | number)[];
  site: string;
}

export interface StepKindDescription {
  parse(params: unknown): ParamsParse;
  summarize(params: Record<string, unknown>): string;
  /**
   * The sites the parsed params name, each with its path. The plan checks every one against the
   * configuration: kinds only check that they are names, since they do not see the configuration.
   */
  namedSites(params: Record<string, unknown>): SiteReference[];
  /** How the kind honours the plan's pins (a chosen backup); absent when pins do not concern it. */
  applyPins?(
    params: Record<string, unknown>,
    pins: Readonly<Record<string, string>>,
  ): Record<string, unknown>;
  /** What the step needs from the configuration beyond its parameters (see StepKind.checkConfig). */
  checkConfig?(params: Record<string, unknown>, config: Config, scope: RunScope): ConfigNeed[];
  /** The outcomes a step of this kind decides, which later steps' `when` may name. */
  outcomes?: readonly string[];
  /** Whether repeating the step with these params is harmless (an undo's kind must be). */
  isIdempotent?(params: Record<string, unknown>): boolean;
  /** The kind changes nothing at any site (it reads, checks, waits or records): `always` is for these. */
  readOnly?: boolean;
  /** With these params the step only takes away what the run itself made: it may be `always` too. */
  onlyOwnCleanup?(params: Record<string, unknown>): boolean;
}

/**
 * Something a step needs from the configuration that is missing: an error when the step cannot do
 * its work without it (a DNS switch with no DNS provider), a warning when it would run but prove less
 * than it seems to (a validation phase with no health check for an application). The path is
 * relative to the runbook step (`["with", "source"]`, `["kind"]`).
 */
export interface ConfigNeed {
  path: (string | number)[];
  message: string;
  severity?: "error" | "warning";
}

export interface PlanIssue {
  path: (string | number)[];
  message: string;
  /** Errors refuse the runbook or the plan; warnings are reported by `validate` only. */
  severity?: "error" | "warning";
  /** A need of the step on the configuration (not a mistake in the runbook's own text). */
  need?: true;
}

/** Whether an issue refuses (the default) rather than warns. */
export const isError = (issue: Pick<PlanIssue, "severity">): boolean => issue.severity !== "warning";

export interface BuildPlanInput {
  runbook: Runbook;
  config: Config;
  scope: RunScope;
  mode: RunMode;
  catalog: StepCatalog;
  /** Readings the plan depends on (chosen backup, DNS records…); part of the hash. */
  pins?: Record<string, string>;
}

/**
 * Builds the concrete plan of a run: the runbook's steps filtered by mode, repeated over the scope,
 * placeholders expanded, parameters parsed by their kind, dependencies resolved. The hash covers
 * everything that decides what the run will do, so an approval binds to exactly this plan.
 */
export function buildPlan(input: BuildPlanInput): Plan {
  const found: PlanIssue[] = [];
  const plan = assemblePlan(input, found);
  const issues = found.filter(isError);
  if (issues.length > 0) {
    throw new DrError(
      "invalid_runbook",
      `runbook "${input.runbook.name}": ${issues.map((i) => `${describeStepAt(input.runbook, i.path)}${formatPath(i.path)}: ${i.message}`).join("; ")}`,
      { issues },
    );
  }
  return plan;
}

function assemblePlan(
  { runbook, config, scope, mode, catalog, pins = {} }: BuildPlanInput,
  issues: PlanIssue[],
): Plan {
  const apps = scopeApplications(config, scope);
  const baseContext = templateContext(config, scope, apps, mode, runbook);
  const steps: PlanStep[] = [];
  const instancesOf = new Map<string, string[]>();
  let previousBlock: string[] = [];
  let currentBlock: string[] = [];
  let currentGroup: string | undefined;
  const seen = new Set<string>();
  // Explicit `needs` name runbook steps; they are resolved to instances once every step is known.
  const explicitNeeds = new Map<string, string[]>();
  // Earlier runbook steps a later step's `when` may name, with the outcomes their kind decides.
  const deciders = new Map<string, Decider>();

  runbook.phases.forEach((phase, phaseIndex) => {
    phase.steps.forEach((step, stepIndex) => {
      const path = ["phases", phaseIndex, "steps", stepIndex];
      if (seen.has(step.id))
        issues.push({ path: [...path, "id"], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
      const kind = catalog.describe(step.kind);
      if (!runsInMode(step, mode)) {
        instancesOf.set(step.id, []);
        deciders.set(step.id, { instances: [], ...(kind?.outcomes ? { outcomes: kind.outcomes } : {}) });
        return;
      }
      if (!kind) {
        issues.push({
          path: [...path, "kind"],
          message: `unknown step kind "${step.kind}"; known kinds: ${catalog.kinds().join(", ")}`,
        });
        return;
      }
      let when: PlanStep["when"];
      if (step.when) {
        const resolved = resolveCondition(step.when, path, deciders);
        if ("issue" in resolved) issues.push(resolved.issue);
        else when = resolved.condition;
      }
      // A new block starts unless this step continues the group of the previous one.
      if (!(step.group && step.group === currentGroup)) {
        if (currentBlock.length > 0) previousBlock = currentBlock;
        currentBlock = [];
      }
      currentGroup = step.group;
      const ids: string[] = [];
      if (step.forEach === "healthCheck") issues.push(...healthCheckGaps(apps, scope, path));
      for (const item of forEachItems(step, config, scope, apps)) {
        const id = item.key ? `${step.id}.${item.key}` : step.id;
        let params: Record<string, unknown>;
        try {
          params = expandTemplate(step.with, { ...baseContext, ...item.vars }, [...path, "with"]) as Record<
            string,
            unknown
          >;
        } catch (error) {
          if (error instanceof TemplateError) {
            issues.push({ path: error.path, message: error.message });
            continue;
          }
          throw error;
        }
        const parsed = kind.parse(params);
        if (!parsed.ok) {
          for (const issue of parsed.issues)
            issues.push({ path: [...path, "with", ...issue.path], message: issue.message });
          continue;
        }
        const unknownSites = siteIssues(kind, parsed.value, config);
        if (unknownSites.length > 0) {
          for (const issue of unknownSites)
            issues.push({ path: [...path, "with", ...issue.path], message: issue.message });
          continue;
        }
        for (const need of kind.checkConfig?.(parsed.value, config, scope) ?? [])
          issues.push({
            path: [...path, ...need.path],
            message: need.message,
            need: true,
            ...(need.severity === "warning" ? { severity: "warning" as const } : {}),
          });
        if (step.always && !kind.readOnly && !kind.onlyOwnCleanup?.(parsed.value))
          issues.push({
            path: [...path, "always"],
            message: `${step.id} is a ${step.kind} step, which changes a site: always is only for kinds that change none (checks, proofs, records) or take away only what the run itself made (k8s.delete-namespace with ownedByRun), since an always step runs after an abort even where the steps before it did not; give the step an undo instead`,
          });
        if (kind.applyPins && Object.keys(pins).length > 0) parsed.value = kind.applyPins(parsed.value, pins);
        let undo: PlanStep["undo"];
        if (step.undo) {
          const undoKind = catalog.describe(step.undo.kind);
          if (!undoKind) {
            issues.push({
              path: [...path, "undo", "kind"],
              message: `unknown step kind "${step.undo.kind}"`,
            });
          } else {
            const undoRaw = expandTemplate(step.undo.with, { ...baseContext, ...item.vars }, [
              ...path,
              "undo",
              "with",
            ]) as Record<string, unknown>;
            const undoParams = undoKind.parse(undoRaw);
            const undoIssues = undoParams.ok
              ? siteIssues(undoKind, undoParams.value, config)
              : undoParams.issues;
            if (undoParams.ok && undoIssues.length === 0)
              undo = {
                kind: step.undo.kind,
                params: undoParams.value,
                rawParams: undoRaw,
                timeoutMs: step.undo.timeout ?? step.timeout ?? runbook.defaultTimeout,
                ...(step.undo.until ? { until: step.undo.until } : {}),
                summary: undoKind.summarize(undoParams.value),
              };
            for (const issue of undoIssues)
              issues.push({ path: [...path, "undo", "with", ...issue.path], message: issue.message });
            if (undoParams.ok && undoKind.isIdempotent && !undoKind.isIdempotent(undoParams.value))
              issues.push({
                path: [...path, "undo", "kind"],
                message: `${step.undo.kind} with these parameters is not idempotent; an undo may run after a step that did part of its work, and again after a crash`,
              });
          }
        }
        steps.push({
          id,
          runbookStepId: step.id,
          phase: phase.name,
          rtoPhase: phase.rtoPhase,
          title: item.key ? `${step.title} (${item.key})` : step.title,
          kind: step.kind,
          params: parsed.value,
          rawParams: params,
          timeoutMs: step.timeout ?? runbook.defaultTimeout,
          retries: step.retries,
          retryDelayMs: step.retryDelay,
          onFailure: step.onFailure,
          needs:
            when && !previousBlock.includes(when.step) ? [...previousBlock, when.step] : [...previousBlock],
          ...(step.group ? { group: step.group } : item.key ? { group: step.id } : {}),
          ...(step.concurrency ? { concurrency: step.concurrency } : {}),
          ...(undo ? { undo } : {}),
          ...(when ? { when } : {}),
          ...(step.always ? { always: true as const } : {}),
          summary: kind.summarize(parsed.value),
        });
        ids.push(id);
      }
      instancesOf.set(step.id, ids);
      deciders.set(step.id, { instances: ids, ...(kind.outcomes ? { outcomes: kind.outcomes } : {}) });
      currentBlock.push(...ids);
      if (step.needs.length > 0) for (const id of ids) explicitNeeds.set(id, step.needs);
    });
  });

  for (const step of steps) {
    for (const need of explicitNeeds.get(step.id) ?? []) {
      const targets = instancesOf.get(need);
      if (targets === undefined)
        issues.push({
          path: ["steps", step.runbookStepId, "needs"],
          message: `needs unknown step "${need}"`,
        });
      else step.needs.push(...targets.filter((t) => !step.needs.includes(t)));
    }
  }
  const cycle = findCycle(steps);
  if (cycle)
    issues.push({ path: ["steps", cycle[0]!, "needs"], message: `dependency cycle: ${cycle.join(" → ")}` });

  const plan = {
    runbook: runbook.name,
    runbookTitle: runbook.title,
    kind: runbook.kind,
    mode,
    scope,
    steps: withRtoPhases(steps),
    pins,
  };
  return { ...plan, hash: hashPlan(plan) };
}

/** Every site a plan's steps (and their undo) name: those the run may act on. */
export function sitesNamedBy(plan: Plan, catalog: StepCatalog): string[] {
  const named = new Set<string>();
  for (const step of plan.steps)
    for (const part of [step, ...(step.undo ? [step.undo] : [])])
      for (const ref of catalog.describe(part.kind)?.namedSites(part.params) ?? []) named.add(ref.site);
  return [...named];
}

/** A typo in a runbook (`site: dc3`) is refused when the runbooks are loaded, not when the step runs. */
function siteIssues(kind: StepKindDescription, params: Record<string, unknown>, config: Config): PlanIssue[] {
  const known = config.sites.map((s) => s.name);
  return kind
    .namedSites(params)
    .filter((ref) => !known.includes(ref.site))
    .map((ref) => ({
      path: ref.path,
      message: `unknown site "${ref.site}"; configured sites: ${known.join(", ")}`,
    }));
}

function runsInMode(step: RunbookStep, mode: RunMode): boolean {
  return step.runsIn === "both" || step.runsIn === mode;
}

function templateContext(
  config: Config,
  scope: RunScope,
  apps: ApplicationConfig[],
  mode: RunMode,
  runbook: Runbook,
) {
  const namespaces = [...new Set(apps.flatMap((a) => a.namespaces))];
  const workloads = apps.flatMap((a) => a.workloads.map((w) => ({ ...w, application: a.name })));
  const cronJobs = apps.flatMap((a) => a.cronJobs.map((j) => ({ ...j, application: a.name })));
  return {
    run: { kind: runbook.kind, mode, runbook: runbook.name, drill: mode === "drill" },
    sites: {
      from: scope.fromSite,
      to: scope.toSite,
      primary: config.sites.find((s) => s.role === "primary")!.name,
      dr: config.sites.find((s) => s.role === "dr")!.name,
    },
    scope: {
      applications: scope.applications,
      tiers: scope.tiers,
      namespaces,
      workloads,
      cronJobs,
      dnsRecords: recordsOfScope(config.dns.records, scope.applications).map((r) => r.name),
    },
  };
}

/** "step switch-dns at " for an issue inside a step, so a refusal names the step, not only its path. */
function describeStepAt(runbook: Runbook, path: readonly (string | number)[]): string {
  if (path[0] !== "phases" || path[2] !== "steps") return "";
  const step = runbook.phases[path[1] as number]?.steps[path[3] as number];
  return step ? `step ${step.id} at ` : "";
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    "",
  );
}

/**
 * Checks a runbook against the configuration at load time: every step for every application in
 * both modes, in the direction of the runbook's kind, so an error shows before anyone needs the
 * runbook at 3 a.m.
 */
export function validateRunbook(runbook: Runbook, config: Config, catalog: StepCatalog): PlanIssue[] {
  const issues: PlanIssue[] = [];
  // Every application, in the runbook's own direction: a failback goes from DR to the primary, so
  // its validation is checked against the primary's health checks.
  const primary = config.sites.find((s) => s.role === "primary")!.name;
  const dr = config.sites.find((s) => s.role === "dr")!.name;
  const [fromSite, toSite] = runbook.kind === "failback" ? [dr, primary] : [primary, dr];
  const scope: RunScope = {
    applications: config.applications.map((a) => a.name),
    tiers: config.tiers.map((t) => t.name),
    fromSite,
    toSite,
  };
  const seen = new Set<string>();
  for (const mode of ["real", "drill"] as const) {
    const found: PlanIssue[] = [];
    assemblePlan({ runbook, config, scope, mode, catalog }, found);
    for (const issue of found) {
      const key = `${formatPath(issue.path)}|${issue.message}`;
      if (!seen.has(key)) issues.push(issue);
      seen.add(key);
    }
  }
  return issues;
}
