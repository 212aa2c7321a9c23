import { z } from "zod";
import { type AnyStepKind, defineStepKind } from "../../src/engine/step-kind.js";
import type { Ledger } from "./engine-harness.js";

/** Where, inside a step, the executing process dies. */
export interface CrashPoint {
  key: string;
  at: "before_effect" | "after_effect";
  /** Kills the process (mortalStore's `die`); the step then never reports back. */
  die(): void;
}

/**
 * `test.crashable`: appends its key to the ledger, like `test.effect`. In the process given a
 * `crash`, the step with that key kills its process before or after its effect. Whether repeating
 * it is harmless and whether its effect can be observed are parameters, so one kind reaches every
 * branch of the re-observation after a takeover. `beforeObserve` lets a test look at the run while
 * the new executor is still asking.
 */
export function crashingStepKind(
  ledger: Ledger,
  options: { crash?: CrashPoint; beforeObserve?: (key: string) => Promise<void> } = {},
): AnyStepKind {
  return defineStepKind({
    kind: "test.crashable",
    description: "Appends its key to the ledger; the victim process dies inside it.",
    params: z
      .object({
        key: z.string(),
        idempotent: z.boolean().default(false),
        observable: z.boolean().default(true),
      })
      .strict(),
    siteParams: [],
    idempotent: (p) => p.idempotent,
    summarize: (p) => `crashable effect ${p.key}`,
    async execute(_ctx, p) {
      const crash = options.crash?.key === p.key ? options.crash : undefined;
      if (crash?.at === "before_effect") crash.die();
      else ledger.entries.push(p.key);
      if (crash?.at === "after_effect") crash.die();
      // A dead process reports nothing: its store calls never settle, so this failure goes nowhere.
      if (crash) throw new Error(`the process died ${crash.at.replace("_", " ")} of ${p.key}`);
      return { status: "succeeded", output: `did ${p.key}` };
    },
    async observe(_ctx, p) {
      await options.beforeObserve?.(p.key);
      if (!p.observable) return { holds: "unknown", evidence: `nothing records whether ${p.key} happened` };
      return ledger.count(p.key) > 0
        ? { holds: true, evidence: `${p.key} is in the ledger` }
        : { holds: false, evidence: `${p.key} is not in the ledger` };
    },
  });
}

/** A runbook step of the crashable kind. */
export function crashable(
  id: string,
  params: { idempotent?: boolean; observable?: boolean } = {},
  extra: Record<string, unknown> = {},
) {
  return { id, title: `Crashable ${id}`, kind: "test.crashable", with: { key: id, ...params }, ...extra };
}
