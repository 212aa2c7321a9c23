import { afterEach, describe, expect, it } from "vitest";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { FixedReadiness, readinessRound } from "../support/readiness-fixture.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * drbot's Home tab through the real Bolt and the emulator: published when a person opens it, and
 * again, coalesced, to those who opened it when runs change state.
 */
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  approvals: { required: 1 },
  phases: [{ name: "drill", steps: Array.from({ length: 12 }, (_, i) => effect(`drill-${i}`)) }],
});

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const homeText = (h: SlackHarness, user: string) =>
  JSON.stringify(h.emulator.views.home(user)?.view.blocks ?? []);

describe("the App Home tab", () => {
  it("is published to a person when they open it, with the sites, runs and calendar, without Block Kit errors", async () => {
    h = await startSlackHarness({ runbooks: [drill] });

    await h.emulator.openAppHome({ userId: "U0ONCALL" });

    await waitFor(() => h!.emulator.views.home("U0ONCALL") !== undefined, { description: "the Home tab" });
    const text = homeText(h, "U0ONCALL");
    expect(text).toContain("*Serving*");
    expect(text).toContain("*dc1* serves");
    expect(text).toContain("*Active runs*\\nnone");
    expect(h.emulator.views.home("U0A1")).toBeUndefined();
    expect(h.emulator.events("api_call").filter((c) => c.method === "views.publish" && !c.ok)).toEqual([]);
  });

  it("is published again to those who opened it when a run changes state, coalesced rather than per step", async () => {
    h = await startSlackHarness({ runbooks: [drill], slack: { homeDebounceMs: 300 } });
    await h.emulator.openAppHome({ userId: "U0ONCALL" });
    await waitFor(() => h!.emulator.views.home("U0ONCALL") !== undefined, { description: "the Home tab" });

    await h.dr("U0ONCALL", "drill payments");
    const card = await h.findMessage("DR drill requested");
    await waitFor(() => homeText(h!, "U0ONCALL").includes("pending approval"), {
      description: "the request on the Home tab",
    });
    expect(homeText(h, "U0ONCALL")).toContain("<http");
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitFor(() => homeText(h!, "U0ONCALL").includes("*Active runs*\\nnone"), {
      description: "the run gone from the active runs",
      timeoutMs: 15_000,
    });

    const publishes = h.emulator.events("view_published").filter((e) => e.userId === "U0ONCALL").length;
    // A request, an approval and twelve steps: far fewer publishes than changes.
    expect(publishes).toBeGreaterThanOrEqual(3);
    expect(publishes).toBeLessThan(12);
    expect(homeText(h, "U0ONCALL")).toContain("*Recent runs*");
    expect(h.emulator.views.home("U0A1")).toBeUndefined();
  });

  it("is published again when the watch leader keeps a newer readiness round, and not while the round is the same", async () => {
    const readiness = new FixedReadiness(readinessRound(Date.now() - 60_000));
    h = await startSlackHarness({
      runbooks: [drill],
      readiness,
      slack: { homeDebounceMs: 50, homeReadinessCheckMs: 100 },
    });
    await h.emulator.openAppHome({ userId: "U0ONCALL" });
    await waitFor(() => homeText(h!, "U0ONCALL").includes("payments (not ready)"), {
      description: "the Home tab with payments not ready",
    });
    const published = () =>
      h!.emulator.events("view_published").filter((e) => e.userId === "U0ONCALL").length;
    const before = published();
    // The same round read again and again publishes nothing more.
    const reads = readiness.reads;
    await waitFor(() => readiness.reads >= reads + 3, {
      description: "the kept round looked at three more times",
    });
    expect(published()).toBe(before);

    // The leader keeps a round where payments' image drift was mended.
    readiness.keep(readinessRound(Date.now(), { payments: [] }));
    await waitFor(() => !homeText(h!, "U0ONCALL").includes("payments (not ready)"), {
      description: "the Home tab republished with the new round",
    });
    expect(published()).toBe(before + 1);
  });
});
