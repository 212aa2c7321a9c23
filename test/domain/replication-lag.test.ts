import { describe, expect, it } from "vitest";
import {
  assessReplicationLag,
  type PrimaryWalState,
  parseLsn,
  type ReplicaWalState,
} from "../../src/domain/replication-lag.js";

const NOW = Date.UTC(2026, 10, 25, 9, 0, 0);
const HOUR = 3_600_000;

function primary(overrides: Partial<PrimaryWalState> = {}): PrimaryWalState {
  return {
    inRecovery: false,
    currentLsn: "0/3000148",
    now: NOW,
    standbys: [
      { applicationName: "dc2-replica", state: "streaming", replayLsn: "0/3000148", replayLagMs: null },
    ],
    ...overrides,
  };
}

function replica(overrides: Partial<ReplicaWalState> = {}): ReplicaWalState {
  return {
    inRecovery: true,
    receiveLsn: "0/3000148",
    replayLsn: "0/3000148",
    lastReplayAt: NOW - HOUR,
    now: NOW,
    replayPaused: false,
    receiverStatus: "streaming",
    ...overrides,
  };
}

const assess = (p: PrimaryWalState | string, r: ReplicaWalState | string, applicationName?: string) =>
  assessReplicationLag({
    primary: typeof p === "string" ? { ok: false, error: p } : { ok: true, value: p },
    replica: typeof r === "string" ? { ok: false, error: r } : { ok: true, value: r },
    lagAlertMs: 30_000,
    ...(applicationName ? { applicationName } : {}),
  });

describe("parseLsn", () => {
  it("reads both 32-bit halves, so positions across a segment boundary compare correctly", () => {
    expect(parseLsn("16/B374D848")).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn("1/0") > parseLsn("0/FFFFFFFF")).toBe(true);
  });

  it("refuses what is not an LSN", () => {
    expect(() => parseLsn("16-B374D848")).toThrow(/not an LSN/);
  });
});

describe("assessReplicationLag", () => {
  it("counts an idle primary as caught up, with zero lag, although the last replayed commit is an hour old", () => {
    const lag = assess(primary(), replica());
    expect(lag).toMatchObject({ lagMs: 0, state: "caught_up", alert: false, bytesBehind: 0 });
    expect(lag.detail).toMatch(/last replayed commit is 1h old, which is not lag/);
  });

  it("counts a replica read a moment after the primary, and already further, as caught up", () => {
    expect(assess(primary({ currentLsn: "0/3000100" }), replica())).toMatchObject({
      lagMs: 0,
      state: "caught_up",
    });
  });

  it("takes the primary's replay_lag while the replica streams and is behind", () => {
    const lag = assess(
      primary({
        currentLsn: "0/3001148",
        standbys: [
          { applicationName: "dc2-replica", state: "streaming", replayLsn: "0/3000148", replayLagMs: 45_000 },
        ],
      }),
      replica({ replayPaused: true }),
    );
    expect(lag).toMatchObject({ lagMs: 45_000, state: "behind", alert: true, bytesBehind: 4096 });
    expect(lag.detail).toMatch(
      /replay_lag reported by the primary\); replay is paused.*above the 30s alert threshold/,
    );
  });

  it("uses the configured standby's figure, and the worst standby's when none is configured", () => {
    const busy = primary({
      currentLsn: "0/3001148",
      standbys: [
        { applicationName: "dc1-local", state: "streaming", replayLsn: "0/3000148", replayLagMs: 90_000 },
        { applicationName: "dc2-replica", state: "streaming", replayLsn: "0/3000148", replayLagMs: 2_000 },
      ],
    });
    expect(assess(busy, replica(), "dc2-replica").lagMs).toBe(2_000);
    expect(assess(busy, replica()).lagMs).toBe(90_000);
  });

  it("falls back to the age of the last replayed commit, an upper bound, when the replica is not streaming", () => {
    const lag = assess(
      primary({ currentLsn: "0/3001148", standbys: [] }),
      replica({ receiverStatus: null, lastReplayAt: NOW - 10_000 }),
    );
    expect(lag).toMatchObject({ lagMs: 10_000, state: "behind", alert: false });
    expect(lag.detail).toMatch(/upper bound: .*the replica is not streaming \(no WAL receiver\)/);
  });

  it("is unknown, and alerts, when the replica does not answer", () => {
    const lag = assess(primary(), "unreachable (ECONNREFUSED)");
    expect(lag).toMatchObject({ lagMs: undefined, state: "unknown", alert: true });
    expect(lag.detail).toBe("lag unknown: the replica did not answer (unreachable (ECONNREFUSED))");
  });

  it("is unknown when the primary does not answer, and says since when the replica has nothing new", () => {
    const lag = assess("no answer within 5000 ms", replica({ lastReplayAt: NOW - 40_000 }));
    expect(lag.lagMs).toBeUndefined();
    expect(lag.detail).toMatch(
      /primary did not answer .*last replayed commit is from 2026-11-25T08:59:20.000Z \(40s ago\)/,
    );
  });

  it("is unknown once the replica has been promoted, or when the primary is itself a standby", () => {
    expect(assess(primary(), replica({ inRecovery: false })).detail).toMatch(
      /not in recovery: it has been promoted/,
    );
    expect(assess(primary({ inRecovery: true }), replica()).detail).toMatch(/primary is in recovery itself/);
  });

  it("is unknown when the replica is behind and has never replayed a transaction to date it by", () => {
    const lag = assess(
      primary({ currentLsn: "0/3001148", standbys: [] }),
      replica({ lastReplayAt: null, receiverStatus: null }),
    );
    expect(lag).toMatchObject({ lagMs: undefined, state: "unknown", bytesBehind: 4096 });
  });
});
