import { describe, expect, it } from "vitest";
import { KubeError } from "../../../src/adapters/kubernetes/kube-error.js";
import { isRolledOut, waitForRollout } from "../../../src/adapters/kubernetes/wait-for-rollout.js";
import type { WorkloadRef, WorkloadState } from "../../../src/domain/workloads.js";
import { expectWithinDeadline } from "../../support/deadline.js";

const ref: WorkloadRef = { kind: "Deployment", namespace: "production", name: "api" };
const state = (over: Partial<WorkloadState>): WorkloadState => ({
  ...ref,
  replicas: 3,
  statusReplicas: 3,
  readyReplicas: 3,
  updatedReplicas: 3,
  availableReplicas: 3,
  generation: 2,
  observedGeneration: 2,
  images: [],
  ...over,
});

describe("isRolledOut", () => {
  it("needs the current generation observed, and every desired pod ready and updated", () => {
    expect(isRolledOut(state({}), 3)).toBe(true);
    expect(isRolledOut(state({ observedGeneration: 1 }), 3)).toBe(false);
    expect(isRolledOut(state({ readyReplicas: 2 }), 3)).toBe(false);
    expect(isRolledOut(state({ updatedReplicas: 2 }), 3)).toBe(false);
    expect(isRolledOut(state({}), 4)).toBe(false);
  });

  it("counts a scale-down as done only once the old pods are gone", () => {
    const down = { replicas: 0, readyReplicas: 0, updatedReplicas: 0 };
    expect(isRolledOut(state({ ...down, statusReplicas: 2 }), 0)).toBe(false);
    expect(isRolledOut(state({ ...down, statusReplicas: 0 }), 0)).toBe(true);
  });
});

describe("waitForRollout", () => {
  it("polls until the rollout is complete and reports each state", async () => {
    const states = [state({ readyReplicas: 0 }), state({ readyReplicas: 2 }), state({})];
    const seen: number[] = [];
    const done = await waitForRollout("dc2", ref, async () => states.shift() ?? state({}), {
      deadline: Date.now() + 10_000,
      onProgress: (s) => seen.push(s.readyReplicas),
    });
    expect(done.readyReplicas).toBe(3);
    expect(seen).toEqual([0, 2, 3]);
  });

  it("fails with a timeout naming the workload and its last state at the deadline", async () => {
    const started = Date.now();
    const error = await waitForRollout("dc2", ref, async () => state({ readyReplicas: 1 }), {
      replicas: 3,
      deadline: started + 400,
    }).catch((e: unknown) => e);
    expectWithinDeadline(Date.now() - started, 400, "a rollout wait with a 400 ms deadline");
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ code: "timeout", reason: "timeout" });
    expect((error as KubeError).message).toMatch(
      /^site dc2: could not wait for deployment production\/api to have 3 ready replicas: 1\/3 ready/,
    );
    expect((error as KubeError).details.state).toMatchObject({ readyReplicas: 1 });
  });

  it("keeps polling through an unreachable API server until it answers", async () => {
    let calls = 0;
    const done = await waitForRollout(
      "dc2",
      ref,
      async () => {
        calls++;
        if (calls < 3) throw new KubeError("unreachable", { site: "dc2", operation: "read" }, "ECONNREFUSED");
        return state({});
      },
      { deadline: Date.now() + 10_000 },
    );
    expect(done.readyReplicas).toBe(3);
    expect(calls).toBe(3);
  });

  it("stops at once when the workload is forbidden or gone", async () => {
    const forbidden = new KubeError("forbidden", { site: "dc2", operation: "read" }, "403");
    await expect(
      waitForRollout("dc2", ref, async () => Promise.reject(forbidden), { deadline: Date.now() + 60_000 }),
    ).rejects.toBe(forbidden);
  });

  it("stops when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = waitForRollout(
      "dc2",
      ref,
      async () => {
        controller.abort();
        return state({ readyReplicas: 0 });
      },
      { deadline: Date.now() + 60_000, signal: controller.signal },
    );
    await expect(waiting).rejects.toMatchObject({
      reason: "timeout",
      message: expect.stringContaining("gave up"),
    });
    expectWithinDeadline(Date.now() - started, 0, "a rollout wait aborted by its signal (60 s deadline)");
  });
});
