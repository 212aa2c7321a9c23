import { describe, expect, it } from "vitest";
import { statusText as cliStatusText } from "../../../src/cli/render-text.js";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import type { StatusReport } from "../../../src/domain/status-report.js";
import { parseStatusScope } from "../../../src/domain/status-scope.js";
import { statusText } from "../../../src/slack/views/status-view.js";
import { testConfig } from "../../support/config-fixture.js";
import { readinessRound } from "../../support/readiness-fixture.js";
import { reportWithUnknowns } from "../../support/status-fixture.js";

const config = testConfig();
const now = Date.parse("2025-01-10T03:00:00Z");
const interval = 5 * 60_000;

function status(extra: Partial<StatusReport>): StatusReport {
  return { ...reportWithUnknowns([]), ...extra };
}

describe("readiness in the /dr status answer", () => {
  it("shows one line per tier with its verdict, the applications that are not ready, and the round's age", () => {
    const text = statusText(
      status({ readiness: keptRound(readinessRound(now - 4 * 60_000), now, interval) }),
    );
    const lines = text.split("\n");
    const at = lines.indexOf("*Readiness*: round 4m ago");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3)).toEqual([
      "• :red_circle: tier1: not ready: payments not ready, core-api degraded",
      "• :large_green_circle: tier3: ready (1 application)",
    ]);
  });

  it("says the readiness is not yet assessed when no round has been kept", () => {
    const text = statusText(status({ readiness: keptRound(undefined, now, interval) }));
    expect(text).toContain("*Readiness*: not yet assessed (the watch leader keeps a round every 5m)");
  });

  it("calls a round older than three intervals stale", () => {
    const text = statusText(
      status({ readiness: keptRound(readinessRound(now - 16 * 60_000), now, interval) }),
    );
    expect(text).toContain(
      ":warning: *Readiness*: round 16m ago: stale, older than 3 intervals of 5m (the watch leader has kept none since)",
    );
    expect(
      statusText(status({ readiness: keptRound(readinessRound(now - 15 * 60_000), now, interval) })),
    ).toContain("*Readiness*: round 15m ago\n");
  });

  it("says why the readiness could not be read", () => {
    const text = statusText(
      status({ readiness: { state: "unread", detail: "could not be read: no answer within 2000 ms" } }),
    );
    expect(text).toContain(":warning: *Readiness*: readiness could not be read: no answer within 2000 ms");
  });

  it("details an application's findings with their evidence and what to do, worst first", () => {
    const text = statusText(
      status({
        readiness: keptRound(readinessRound(now - 60_000), now, interval),
        scope: parseStatusScope(config, ["payments"])!,
      }),
    );
    expect(text).toContain(
      [
        "*Readiness of payments (tier1)*: round 1m ago",
        "• :red_circle: *payments*: not ready",
        "    ◦ :red_circle: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
        "        - dc2 production/payments-api container api ghcr.io/acme/payments:1.4.1",
        "        + dc1 production/payments-api container api ghcr.io/acme/payments:1.4.2",
        "        → deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)",
        "    ◦ ✅ ready: capacity",
      ].join("\n"),
    );
    expect(text).not.toContain("tier3: ready");
  });

  it("details every application of a tier", () => {
    const text = statusText(
      status({
        readiness: keptRound(readinessRound(now - 60_000), now, interval),
        scope: parseStatusScope(config, ["tier1"])!,
      }),
    );
    expect(text).toContain("*Readiness of tier tier1*: round 1m ago");
    expect(text).toContain("• :red_circle: *payments*: not ready");
    expect(text).toContain("• :large_yellow_circle: *core-api*: degraded");
    expect(text).toContain(
      "    ◦ :large_yellow_circle: drill: the last successful drill of tier1 was 97d ago, the quarterly drill is overdue",
    );
  });

  it("prints the same on the terminal", () => {
    const readiness = keptRound(readinessRound(now - 4 * 60_000), now, interval);
    expect(cliStatusText(status({ readiness }))).toContain(
      "readiness: round 4m ago\n  tier1: not ready: payments not ready, core-api degraded\n  tier3: ready (1 application)",
    );
    expect(cliStatusText(status({ readiness, scope: parseStatusScope(config, ["payments"])! }))).toContain(
      [
        "readiness of payments (tier1): round 4m ago",
        "  payments: not ready",
        "    not ready: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
        "      - dc2 production/payments-api container api ghcr.io/acme/payments:1.4.1",
        "      + dc1 production/payments-api container api ghcr.io/acme/payments:1.4.2",
        "      -> deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)",
        "    ready: capacity",
      ].join("\n"),
    );
  });
});
