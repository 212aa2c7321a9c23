import { describe, expect, it } from "vitest";
import { SimulatedSite } from "../../src/demo/simulated-site.js";
import { DrError } from "../../src/domain/errors.js";

/** The demo's in-process site keeps the SitePort contract the engine relies on. */
const ref = { kind: "Deployment" as const, namespace: "production", name: "api" };

function site(now: { value: number }) {
  return new SimulatedSite({
    name: "dc2",
    datacenter: "us-west",
    clock: { now: () => now.value },
    workloads: [{ namespace: "production", name: "api", replicas: 0 }],
    replicaReadyMs: 100,
  });
}

describe("a simulated site", () => {
  it("says it is simulated in its health, with Ready nodes", async () => {
    const health = await site({ value: 0 }).health();
    expect(health).toMatchObject({ site: "dc2", reachable: true, ready: true, readyNodes: 3 });
    expect(health.version).toContain("SIMULATED");
  });

  it("rolls a scale-up out one replica per interval, and scales down at once", async () => {
    const now = { value: 1_000 };
    const dc2 = site(now);
    await dc2.scale(ref, 3);
    expect((await dc2.listWorkloads("Deployment", "production"))[0]).toMatchObject({
      replicas: 3,
      readyReplicas: 0,
    });
    now.value += 250;
    expect((await dc2.inventory(["production"]))[0]!.readyReplicas).toBe(2);
    now.value += 100;
    expect((await dc2.inventory(["production"]))[0]!.readyReplicas).toBe(3);
    await dc2.scale(ref, 1);
    expect((await dc2.inventory(["production"]))[0]!.readyReplicas).toBe(1);
  });

  it("fails a rollout wait at its deadline with a timeout naming the site, and an unknown workload as not found", async () => {
    const now = { value: 0 };
    const dc2 = site(now);
    await dc2.scale(ref, 2);
    await expect(dc2.waitForRollout(ref, { deadline: 0 })).rejects.toMatchObject({ code: "timeout" });
    await expect(dc2.readScale({ ...ref, name: "nope" })).rejects.toBeInstanceOf(DrError);
    await expect(dc2.readScale({ ...ref, name: "nope" })).rejects.toMatchObject({ code: "not_found" });
  });

  it("fences what exists and reports what does not", async () => {
    const dc2 = site({ value: 0 });
    const result = await dc2.fence([ref, { ...ref, name: "gone" }]);
    expect(result).toMatchObject({ reachable: true, fenced: [ref], notFound: [{ ...ref, name: "gone" }] });
  });
});

describe("a simulated site whose changes take time", () => {
  const slow = () =>
    new SimulatedSite({
      name: "dc2",
      datacenter: "us-west",
      clock: { now: () => 0 },
      workloads: [{ namespace: "production", name: "api", replicas: 0 }],
      operationMs: 60_000,
    });

  it("answers reads at once while a change is still under way, and a change cut short changes nothing", async () => {
    const dc2 = slow();
    const controller = new AbortController();
    const scaling = dc2.scale(ref, 3, { signal: controller.signal });
    expect((await dc2.health()).reachable).toBe(true);
    expect(await dc2.readScale(ref)).toBe(0);
    controller.abort();
    await expect(scaling).rejects.toMatchObject({ code: "timeout", message: expect.stringContaining("dc2") });
    expect(await dc2.readScale(ref)).toBe(0);
  });
});
