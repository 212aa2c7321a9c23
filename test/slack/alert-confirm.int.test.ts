import { afterEach, describe, expect, it } from "vitest";
import { type AlertRecord, alertRecordKey } from "../../src/app/serving-watcher.js";
import { registerWatchListeners } from "../../src/slack/listeners/watch-listeners.js";
import { alertOpenedView, WATCH_ACTION } from "../../src/slack/views/watch-views.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The watcher's alert button requests a real failover: like `/dr failover`, it asks the scope's name
 * typed in a modal first, and the request is made from the alert's record (its reason, detection
 * time and one run per alert) only when the name is typed exactly.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "activate", steps: [effect("scale-up")] }],
});

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function postAlert(h: SlackHarness): Promise<string> {
  const now = Date.now();
  const alert = {
    id: "alert-dc1-1",
    site: "dc1",
    firstFailureAt: now - 90_000,
    openedAt: now - 30_000,
    failing: [{ target: "dc1/api", since: now - 90_000, failures: 3, detail: "connection refused" }],
  };
  const record: AlertRecord = { alert, applications: ["payments"], channel: INCIDENT, remedy: "failover" };
  await h.store.kvSet(alertRecordKey(alert.id), JSON.stringify(record));
  const view = alertOpenedView(alert, ["payments"]);
  const posted = await h.surface.client.chat.postMessage({
    channel: INCIDENT,
    text: view.text,
    blocks: view.blocks,
  });
  return posted.ts ?? "";
}

describe("the watcher's alert button", () => {
  it("asks the scope's name typed, requests nothing on a wrong name, and requests from the alert on the right one", async () => {
    h = await startSlackHarness({ runbooks: [failover] });
    registerWatchListeners(h.surface.app, {
      service: h.service,
      store: h.store,
      notifier: h.surface.notifier,
      client: h.surface.client,
      log: h.surface.log,
      clock: { now: () => Date.now() },
    });
    const ts = await postAlert(h);

    await h.click("U0ONCALL", INCIDENT, ts, WATCH_ACTION.alertFailover);
    const modal = await h.emulator.waitForModal("U0ONCALL", (m) => m.view.submit !== undefined);
    expect(JSON.stringify(modal.view.blocks)).toContain("payments");

    const wrong = await h.emulator.submitView({
      userId: "U0ONCALL",
      viewId: modal.id,
      values: { typed: "pay" },
    });
    expect(wrong.viewOutcome).toBe("errors");
    expect(await h.store.listRuns()).toEqual([]);

    const right = await h.emulator.submitView({
      userId: "U0ONCALL",
      viewId: modal.id,
      values: { typed: "payments" },
    });
    expect(right.viewOutcome).toBe("closed");
    await h.findMessage("Failover requested");
    const [run] = await h.store.listRuns();
    expect(run).toMatchObject({
      kind: "failover",
      source: "watcher",
      requestedBy: "U0ONCALL",
      state: "pending_approval",
    });
    expect(run?.reason).toContain("dc1 down since");
    expect(run?.rto.detectedAt).toBeLessThan(Date.now() - 60_000);
    // The requester's proof is the signed submission of the typed name.
    expect(run?.requestProof).toBeDefined();

    // A second click, confirmed, finds the same run: one request per alert.
    await h.click("U0ONCALL", INCIDENT, ts, WATCH_ACTION.alertFailover);
    const again = await h.emulator.waitForModal(
      "U0ONCALL",
      (m) => m.id !== modal.id && m.view.submit !== undefined,
    );
    await h.emulator.submitView({ userId: "U0ONCALL", viewId: again.id, values: { typed: "payments" } });
    await waitFor(
      () =>
        h!.emulator.ephemerals("U0ONCALL").some((e) => e.text.includes(`Already requested: \`${run?.id}\``)),
      { description: "already requested" },
    );
    expect(await h.store.listRuns()).toHaveLength(1);
  });
});
