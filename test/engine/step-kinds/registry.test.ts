import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";

const registry = createStepKindRegistry();
const kinds = registry.kinds().map((name) => registry.get(name)!);

/** Every kind's params are an object; its keys are what a runbook's `with:` may hold. */
function paramKeys(schema: unknown): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

describe("the step kind registry", () => {
  it("has kinds whose site params are params of theirs", () => {
    for (const kind of kinds) {
      for (const name of kind.siteParams) expect(paramKeys(kind.params), kind.kind).toContain(name);
    }
  });

  it("has every param called like a site declared as naming one, so the plan checks it", () => {
    const siteLike = /^(site|sites|primary|dr|activeSite|from)$/;
    const undeclared = kinds.flatMap((kind) =>
      paramKeys(kind.params)
        .filter((key) => siteLike.test(key) && !kind.siteParams.includes(key))
        .map((key) => `${kind.kind}.${key}`),
    );
    expect(undeclared).toEqual([]);
    expect(kinds.filter((k) => k.siteParams.length > 0).map((k) => k.kind)).toEqual([
      "db.catch-up",
      "db.promote",
      "db.read-only",
      "db.read-write",
      "db.rejoin",
      "dns.switch",
      "k8s.capacity",
      "k8s.cronjobs",
      "k8s.delete-namespace",
      "k8s.diff",
      "k8s.fence",
      "k8s.health",
      "k8s.hold-workloads",
      "k8s.isolate",
      "k8s.sandbox",
      "k8s.scale",
      "k8s.snapshot",
      "k8s.unisolate",
      "k8s.verify-clean",
      "k8s.wait-ready",
      "longhorn.activate",
      "longhorn.backup",
      "longhorn.standby",
      "site.probe",
      "site.serving",
      "site.standby",
      "velero.backup",
      "velero.restore",
      "velero.settle-restores",
      "velero.storage-location",
      "velero.verify-restore",
    ]);
  });
});
