import { describe, expect, it } from "vitest";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import type { ReadinessFinding } from "../../../src/domain/readiness/readiness.js";
import {
  needsReadinessAcceptance,
  readinessKey,
  readinessWorsened,
  runReadiness,
} from "../../../src/domain/readiness/run-readiness.js";
import { driftFinding, readinessRound } from "../../support/readiness-fixture.js";

const now = Date.parse("2025-01-10T03:00:00Z");
const of = (findings: ReadinessFinding[] | undefined, apps = ["payments"], readAt = now) =>
  runReadiness(keptRound(readinessRound(readAt, findings ? { payments: findings } : {}), now, 300_000), apps);

describe("a run's readiness", () => {
  it("takes the scope's open findings, worst first, and its worst verdict", () => {
    const r = of(undefined, ["payments", "core-api"]);
    expect(r).toMatchObject({ read: true, verdict: "not_ready", notReady: 1, omitted: 0 });
    expect(r.read && r.findings.map((f) => [f.application, f.check, f.verdict])).toEqual([
      ["payments", "drift", "not_ready"],
      ["core-api", "drill", "degraded"],
    ]);
  });

  it("counts an application the round does not know as unknown", () => {
    expect(of(undefined, ["analytics", "new-app"])).toMatchObject({ verdict: "unknown" });
  });

  it("says why when there is no round to read", () => {
    expect(runReadiness(keptRound(undefined, now, 300_000), ["payments"])).toEqual({
      read: false,
      detail: "not yet assessed",
    });
  });

  it("needs acceptance only for a real failover or failback of a scope that is not ready", () => {
    const readiness = of(undefined);
    expect(needsReadinessAcceptance({ kind: "failover", mode: "real", readiness })).toBe(true);
    expect(needsReadinessAcceptance({ kind: "failback", mode: "real", readiness })).toBe(true);
    expect(needsReadinessAcceptance({ kind: "failover", mode: "drill", readiness })).toBe(false);
    expect(needsReadinessAcceptance({ kind: "drill", mode: "drill", readiness })).toBe(false);
    expect(needsReadinessAcceptance({ kind: "failover", mode: "real", readiness: of([]) })).toBe(false);
  });

  it("names each reading by its own key", () => {
    expect(readinessKey(of(undefined))).toMatch(/^[0-9a-f]{16}$/);
    expect(readinessKey(of(undefined))).not.toBe(readinessKey(of(undefined, ["payments"], now - 1)));
  });

  it("is worse at the last approval when newly not ready, or not ready on more, never for a later round alone", () => {
    const accepted = of(undefined);
    expect(readinessWorsened(accepted, of(undefined, ["payments"], now + 300_000))).toBeUndefined();
    expect(readinessWorsened(of([]), accepted)).toBe(
      "the scope is now not ready (payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2) and nobody accepted that",
    );
    expect(readinessWorsened(undefined, accepted)).toContain("nobody accepted that");
    const more = of([driftFinding, { ...driftFinding, check: "data", summary: "no backup visible on dc2" }]);
    expect(readinessWorsened(accepted, more)).toBe(
      "more of the scope is not ready now (payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2, and 1 more not ready)",
    );
    expect(readinessWorsened(accepted, of([]))).toBeUndefined();
    expect(readinessWorsened(accepted, { read: false, detail: "could not be read" })).toBeUndefined();
  });
});
