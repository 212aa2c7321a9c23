import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import { serviceOf } from "../../src/engine/step-services.js";
import type { KubernetesServices } from "../../src/ports/site.js";
import { testConfig } from "../support/config-fixture.js";
import { stepContext } from "../support/step-context.js";

describe("a step's services", () => {
  it("gives a step the service the process has", () => {
    const sites: KubernetesServices = {
      site: () => {
        throw new DrError("invalid_input", "no sites in this test");
      },
    };
    expect(serviceOf(stepContext(testConfig(), { services: { sites } }), "sites")).toBe(sites);
  });

  it("says plainly which service this process lacks", () => {
    const ctx = stepContext(testConfig());
    expect(() => serviceOf(ctx, "velero")).toThrow(
      new DrError("unavailable", "this drbot process has no Velero access configured"),
    );
    expect(() => serviceOf(ctx, "sites")).toThrow("this drbot process has no Kubernetes sites configured");
    expect(() => serviceOf(ctx, "artifacts")).toThrow("this drbot process has no artifact store");
  });
});
