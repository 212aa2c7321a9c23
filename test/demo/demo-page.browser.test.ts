import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvironment } from "../../src/config/environment.js";
import { type RunningDemo, startDemo } from "../../src/demo/start-demo.js";
import { findChromium } from "../support/chromium.js";

/**
 * The demo as a newcomer sees it: Chromium opens the page `npm run demo` serves, and a failover is
 * driven by typing and clicking only. Every command and click travels as Slack sends it (signed,
 * form-encoded) to the real bot, which runs on Redis against the simulated sites. The screenshots
 * of the key moments are the README's pictures.
 */
// Kept under test-results/ (not committed) on every run; `npm run docs:screenshots` writes the
// README's copies in docs/screenshots.
const SHOTS = process.env.DRBOT_SCREENSHOTS_DIR ?? join("test-results", "screenshots");
const UI_TIMEOUT = 20_000;

let demo: RunningDemo;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const executablePath = findChromium();
  demo = await startDemo({ root: process.cwd(), env: parseEnvironment(process.env), replicaReadyMs: 150 });
  browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await mkdir(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function type(text: string): Promise<void> {
  await page.locator("#composer-input").fill(text);
  await page.locator("#composer-input").press("Enter");
}

async function actAs(userId: string): Promise<void> {
  await page.locator(`button.persona[data-user="${userId}"]`).click();
  await page
    .locator(`button.persona[data-user="${userId}"][aria-checked="true"]`)
    .waitFor({ timeout: UI_TIMEOUT });
}

const message = (text: string) => page.locator('[data-testid="message"]', { hasText: text }).last();
const ephemeral = (text: string) => page.locator('[data-testid="ephemeral"]', { hasText: text }).last();
const shot = (name: string) => page.screenshot({ path: join(SHOTS, name) });

describe("the demo page", () => {
  it("shows status, refuses a self-approval, takes two approvals and a ticked checklist, and completes a failover", async () => {
    await page.goto(`${demo.url}?as=U0ONCALL1`);
    await expect(page.locator("#banner").textContent()).resolves.toContain("SIMULATED");

    await type("/dr status");
    await ephemeral("RPO per tier").waitFor({ timeout: UI_TIMEOUT });
    await expect(ephemeral("RPO per tier").textContent()).resolves.toContain("(SIMULATED)");
    await shot("01-status.png");

    await type('/dr failover payments --reason "DC1 power loss"');
    const card = message("Failover requested");
    await card.waitFor({ timeout: UI_TIMEOUT });
    await expect(card.textContent()).resolves.toContain("0/2");
    await expect(
      page.locator('[data-testid="message"]', { hasText: "Failover requested" }).count(),
    ).resolves.toBe(1);
    await shot("02-approval-card.png");

    // Approve has no confirm dialog: Slack would show it to the requester too, inviting them.
    await card.locator('button[data-action-id="dr:approve"]').click();
    await ephemeral("cannot approve your own request").waitFor({ timeout: UI_TIMEOUT });
    await shot("03-self-approval-refused.png");

    await actAs("U0APPROVER1");
    await expect(
      page.locator('[data-testid="ephemeral"]', { hasText: "cannot approve" }).count(),
    ).resolves.toBe(0);
    await card.locator('button[data-action-id="dr:approve"]').click();
    await card.filter({ hasText: "1/2" }).waitFor({ timeout: UI_TIMEOUT });

    await actAs("U0APPROVER2");
    await card.locator('button[data-action-id="dr:approve"]').click();
    await card.filter({ hasText: "Approved" }).waitFor({ timeout: UI_TIMEOUT });
    const [run] = await demo.runtime.store.listRuns();
    expect(run!.approvals.map((a) => a.userId)).toEqual(["U0APPROVER1", "U0APPROVER2"]);

    const progress = message(`Failover ${run!.id}`);
    const tick = progress.locator('button[data-action-id^="dr:tick"]');
    await tick.first().waitFor({ timeout: UI_TIMEOUT });
    await shot("04-progress-checklist.png");
    await tick.first().click();
    await progress
      .filter({ hasText: "DNS weights show DC2 at 100: @Bea Approver" })
      .waitFor({ timeout: UI_TIMEOUT });
    await tick.first().click();

    await progress.filter({ hasText: "Summary" }).waitFor({ timeout: UI_TIMEOUT });
    await expect(progress.textContent()).resolves.toContain("completed");
    await progress.locator("button[data-thread]").click();
    await page.locator("#thread-body", { hasText: "Announce" }).waitFor({ timeout: UI_TIMEOUT });
    await shot("05-completed.png");
    // The run's report (timeline picture, Markdown, JSON) lands in the channel, as drbot serve posts it.
    await message(`The report of ${run!.id}`).waitFor({ timeout: UI_TIMEOUT });

    const finished = await demo.runtime.store.getRun(run!.id);
    expect(finished!.state).toBe("completed");
    const attestations = (await demo.runtime.store.getSteps(run!.id)).get("confirm-traffic")!.attestations!;
    expect(attestations.map((a) => a.userId)).toEqual(["U0APPROVER2", "U0APPROVER2"]);
  }, 120_000);
});
