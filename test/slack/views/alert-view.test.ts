import { describe, expect, it } from "vitest";
import { rpoAlert } from "../../../src/domain/dr-alert.js";
import { tierRpo } from "../../../src/domain/rpo.js";
import { alertView } from "../../../src/slack/views/alert-view.js";
import { testConfig } from "../../support/config-fixture.js";

describe("an RPO alert in the channel", () => {
  it("says what is at risk, one source a line, escaped, and which condition it is", () => {
    const config = testConfig();
    const [tier1] = tierRpo(
      config,
      [
        {
          source: "pg",
          kind: "postgres",
          exposureMs: undefined,
          at: 0,
          detail: "<!channel> no answer within 1500 ms",
        },
      ],
      0,
    );
    const view = alertView(rpoAlert(tier1!, 0));
    expect(view.text).toBe(
      "RPO of tier1 is at risk: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)",
    );
    const text = JSON.stringify(view.blocks);
    expect(text).toContain(":warning: *RPO of tier1 is at risk");
    expect(text).toContain("• pg (data): unknown: &lt;!channel&gt; no answer within 1500 ms");
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("firing · rpo:tier1");
  });
});
