import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineStepKind, type StepContext } from "../../src/engine/step-kind.js";
import { testConfig } from "../support/config-fixture.js";
import { stepContext } from "../support/step-context.js";

const seen: unknown[] = [];

/** A kind with a default, an optional param, a site and a list of sites. */
const scaleLike = defineStepKind({
  kind: "test.scale-like",
  description: "Records the params it was given.",
  params: z
    .object({
      site: z.string(),
      replicas: z.number().int().default(1),
      note: z.string().optional(),
      mirrors: z.array(z.string()).default([]),
    })
    .strict(),
  siteParams: ["site", "mirrors"],
  idempotent: (p) => p.replicas > 0,
  summarize: (p) => `scale on ${p.site} to ${p.replicas}`,
  async execute(_ctx, p) {
    seen.push(p);
    return { status: "succeeded", output: `${p.site} → ${p.replicas}` };
  },
});

const ctx = (): StepContext => stepContext(testConfig());

describe("a step kind", () => {
  it("is typed by its schema's output: defaults filled in, optional params optional", () => {
    expectTypeOf(scaleLike.definition.execute).parameter(1).toEqualTypeOf<{
      site: string;
      replicas: number;
      note?: string | undefined;
      mirrors: string[];
    }>();
    // Only params that hold a site name (or a list of them) can be declared as naming a site.
    defineStepKind({
      kind: "test.wrong-site-param",
      description: "Never registered.",
      params: z.object({ site: z.string(), replicas: z.number() }).strict(),
      // @ts-expect-error replicas is a number, not a site name
      siteParams: ["replicas"],
      idempotent: true,
      summarize: () => "",
      execute: async () => ({ status: "succeeded" }),
    });
  });

  it("runs on the params its schema produced when the plan was built, defaults filled in", async () => {
    seen.length = 0;
    const planned = scaleLike.parse({ site: "dc2", note: "after the fence" });
    expect(planned).toEqual({
      ok: true,
      value: { site: "dc2", replicas: 1, note: "after the fence", mirrors: [] },
    });
    if (!planned.ok) return;
    expect(await scaleLike.execute(ctx(), planned.value)).toEqual({ status: "succeeded", output: "dc2 → 1" });
    expect(seen).toEqual([planned.value]);
    expect(scaleLike.summarize(planned.value)).toBe("scale on dc2 to 1");
  });

  it("says whether repeating it is harmless from its params", () => {
    expect(scaleLike.isIdempotent({ site: "dc2", replicas: 2, mirrors: [] })).toBe(true);
    expect(scaleLike.isIdempotent({ site: "dc2", replicas: 0, mirrors: [] })).toBe(false);
  });

  it("names the sites its site params hold, with the path of each, lists included", () => {
    expect(scaleLike.namedSites({ site: "dc1", mirrors: ["dc2", "dc3"] })).toEqual([
      { path: ["site"], site: "dc1" },
      { path: ["mirrors", 0], site: "dc2" },
      { path: ["mirrors", 1], site: "dc3" },
    ]);
  });

  it("refuses params its schema does not accept, with the path of each problem", () => {
    expect(scaleLike.parse({ site: "dc1", replicas: "three", extra: true })).toEqual({
      ok: false,
      issues: [
        { path: ["replicas"], message: expect.stringContaining("expected number") },
        { path: [], message: expect.stringContaining("extra") },
      ],
    });
  });
});
