import { describe, expect, it } from "vitest";
import { DrError } from "../../../src/domain/errors.js";
import { inParallel } from "../../../src/engine/step-kinds/k8s-common.js";

describe("working on workloads side by side", () => {
  it("tries every item, and a failure names every item that failed, not only the first", async () => {
    const done: string[] = [];
    const error = await inParallel(["a", "b", "c", "d"], 2, async (item) => {
      if (item === "b") throw new DrError("forbidden", "cannot scale b: forbidden", { site: "dc1" });
      if (item === "d") throw new Error("cannot scale d: connection reset");
      done.push(item);
    }).catch((e: unknown) => e);

    expect(done.sort()).toEqual(["a", "c"]);
    expect(error).toBeInstanceOf(DrError);
    expect(error).toMatchObject({
      code: "forbidden",
      message: "cannot scale b: forbidden; 1 more failed: cannot scale d: connection reset",
      details: { site: "dc1" },
    });
  });

  it("throws a lone failure as it is", async () => {
    const lone = new DrError("timeout", "dc1 did not answer");
    await expect(
      inParallel([1, 2], 4, async (n) => {
        if (n === 2) throw lone;
      }),
    ).rejects.toBe(lone);
  });
});
