import { type RpoReading, tierRpo } from "../../src/domain/rpo.js";
import type { StatusReport } from "../../src/domain/status-report.js";
import { testConfig } from "./config-fixture.js";

const config = testConfig();

/** A status where DC1 does not answer and DC2 is healthy, with the given RPO readings. */
export function reportWithUnknowns(readings: RpoReading[]): StatusReport {
  return {
    sites: [
      {
        site: "dc1",
        role: "primary",
        reachable: false,
        ready: false,
        nodes: [],
        readyNodes: 0,
        latencyMs: 2000,
        error: { code: "timeout", message: "no answer within 2000 ms" },
      },
      {
        site: "dc2",
        role: "dr",
        reachable: true,
        ready: true,
        nodes: [],
        readyNodes: 0,
        latencyMs: 5,
        version: "v1.31.0",
      },
    ],
    rpo: tierRpo(config, readings, Math.max(0, ...readings.map((r) => r.at))),
    activeRuns: [],
    warnings: [],
    tookMs: 2001,
  };
}
