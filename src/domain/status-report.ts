import type { Placement } from "./placement.js";
import type { KeptRound } from "./readiness/kept-round.js";
import type { TierRpo } from "./rpo.js";
import type { RunRecord } from "./run.js";
import type { SiteHealth } from "./site-health.js";
import type { ServingReading } from "./site-state.js";
import type { StatusScope } from "./status-scope.js";

/** What `/dr status` shows, the CLI prints and the metrics export: one reading of the world. */
export interface StatusReport {
  sites: (SiteHealth & { role: string })[];
  rpo: TierRpo[];
  /** Which site serves each application (absent from processes that do not read it). */
  serving?: ServingReading;
  /** The kept readiness round, one line per tier (absent from processes that read no readiness). */
  readiness?: KeptRound;
  /** What the person asked details of (`/dr status payments`): its findings, evidence and actions. */
  scope?: StatusScope;
  activeRuns: RunRecord[];
  warnings: string[];
  placement?: Placement;
  tookMs: number;
}
