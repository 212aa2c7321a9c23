import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { WebClient } from "@slack/web-api";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseEnvironment } from "../../src/config/environment.js";
import { type RunningDemo, startDemo } from "../../src/demo/start-demo.js";
import type { RunRecord } from "../../src/domain/run.js";
import { findChromium } from "../support/chromium.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The demo as a newcomer walks it: Chromium opens the page `npm run demo` serves and everything is
 * done by typing and clicking, the README's "Try" list first, then what a person tries next: the
 * report, a failback, a drill, an abort with its undo, the other channel. Every command and click
 * travels as Slack sends it (signed, form-encoded) to the real bot, which runs on Redis against the
 * simulated sites, whose changes take half a second each here so progress shows. The assertions are
 * about what a person sees on the page; the screenshots of the key moments are the README's pictures.
 * What this cannot show: real Slack's client (the page is drbot's emulator), real clusters (the sites
 * are simulated in-process), real Velero, DNS and applications (the demo's checklists stand in).
 */
// Kept under test-results/ (not committed) on every run; `npm run docs:screenshots` writes the
// README's copies in docs/screenshots.
const SHOTS = process.env.DRBOT_SCREENSHOTS_DIR ?? join("test-results", "screenshots");
const FAILURES = join("test-results", "failures");
const UI_TIMEOUT = 30_000;
/** The progress message's clock is redrawn at least this often while a run waits (the notifier's refresh). */
const CLOCK_TIMEOUT = 45_000;
const OLIVIA = "U0ONCALL1";
const ADAM = "U0APPROVER1";
const BEA = "U0APPROVER2";

let demo: RunningDemo;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const executablePath = findChromium();
  demo = await startDemo({ root: process.cwd(), env: parseEnvironment(process.env), stepSeconds: 0.5 });
  browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await mkdir(SHOTS, { recursive: true });
}, 60_000);

// What the page showed when a step of the walk failed, for whoever reads the failure.
afterEach(async (context) => {
  if (context.task.result?.state !== "fail" || !page) return;
  await mkdir(FAILURES, { recursive: true });
  await page.screenshot({
    path: join(FAILURES, `${context.task.name.slice(0, 60).replace(/\W+/g, "-")}.png`),
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function type(text: string): Promise<void> {
  await page.locator("#composer-input").fill(text);
  await page.locator("#composer-input").press("Enter");
}

/** A real failover or failback opens drbot's confirmation modal: type the scope's name and submit. */
async function confirmInModal(name: string): Promise<void> {
  const typed = page.locator('[data-testid="modal"] input[data-input-action="typed"]');
  await typed.waitFor({ timeout: UI_TIMEOUT });
  await typed.fill(name);
  await page.locator('[data-testid="modal"] button[data-modal="submit"]').click();
  await page.locator('[data-testid="modal"]').waitFor({ state: "hidden", timeout: UI_TIMEOUT });
}

async function actAs(userId: string): Promise<void> {
  await page.locator(`button.persona[data-user="${userId}"]`).click();
  await page
    .locator(`button.persona[data-user="${userId}"][aria-checked="true"]`)
    .waitFor({ timeout: UI_TIMEOUT });
}

/** Clicks a button and accepts its confirm dialog, as a person would. */
async function clickAndConfirm(button: Locator): Promise<void> {
  await button.click();
  await page.locator("#confirm[open]").waitFor({ timeout: UI_TIMEOUT });
  await page.locator("#confirm-ok").click();
}

/**
 * Ticks a checklist's items one by one as the person acting: each once the page shows its button,
 * the next once the page shows one button fewer (the last tick ends the checklist and the run moves on).
 */
async function tickChecklist(progress: Locator, items: number): Promise<void> {
  const ticks = progress.locator('button[data-action-id^="dr:tick"]');
  for (let i = 0; i < items; i++) {
    await ticks.first().waitFor({ timeout: UI_TIMEOUT });
    const shown = await ticks.count();
    await ticks.first().click();
    await ticks.nth(shown - 1).waitFor({ state: "detached", timeout: UI_TIMEOUT });
  }
}

/** The newest run of this kind, as the store has it (for its id in the progress message). */
async function newestRun(kind: RunRecord["kind"]): Promise<RunRecord> {
  let found: RunRecord | undefined;
  await waitFor(
    async () => {
      found = (await demo.runtime.store.listRuns())
        .filter((r) => r.kind === kind)
        .sort(byCreated)
        .at(-1);
      return found !== undefined;
    },
    { timeoutMs: UI_TIMEOUT, description: `a ${kind} run` },
  );
  return found!;
}
const byCreated = (a: RunRecord, b: RunRecord) => a.createdAt - b.createdAt;

/** Asks for a run and has the approvers approve its card; the card is the newest with this text. */
async function requestAndApprove(command: string, cardText: string, approvers: readonly string[]) {
  await actAs(OLIVIA);
  await type(command);
  const real = /^\/dr (failover|failback) (\S+)/.exec(command);
  if (real) await confirmInModal(real[2]!);
  const card = message(cardText);
  await card.waitFor({ timeout: UI_TIMEOUT });
  for (const approver of approvers) {
    await actAs(approver);
    await card.locator('button[data-action-id="dr:approve"]').click();
    await card
      .filter({ hasText: approvers.length === 1 ? "Approved" : "/2" })
      .waitFor({ timeout: UI_TIMEOUT });
  }
  await card.filter({ hasText: "Approved" }).waitFor({ timeout: UI_TIMEOUT });
  return card;
}

/** A message in the channel (not its copy at the top of an open thread). */
const message = (text: string) => page.locator('#timeline [data-testid="message"]', { hasText: text }).last();
/** A run's progress message: the one whose own blocks say so (a report's preview under another mentions it too). */
const progressOf = (title: string) =>
  page
    .locator('#timeline [data-testid="message"]')
    .filter({ has: page.locator(".message-body > .block", { hasText: title }) })
    .last();
const ephemeral = (text: string) => page.locator('[data-testid="ephemeral"]', { hasText: text }).last();
const shot = (name: string) => page.screenshot({ path: join(SHOTS, name) });
/** A Slack user id as a person would see it if drbot wrote one where a name belongs. */
const USER_ID = /\bU0[A-Z0-9]{4,}\b/;

let failover: RunRecord;

describe("the demo page, walked as the README's Try list and what a person tries next", () => {
  it("shows status, refuses a self-approval, takes two approvals and a ticked checklist, and completes a failover", async () => {
    await page.goto(`${demo.url}?as=${OLIVIA}`);
    await expect(page.locator("#banner").textContent()).resolves.toContain("SIMULATED");

    await type("/dr status");
    await ephemeral("RPO per tier").waitFor({ timeout: UI_TIMEOUT });
    await expect(ephemeral("RPO per tier").textContent()).resolves.toContain("(SIMULATED)");
    await shot("01-status.png");

    await type('/dr failover payments --reason "DC1 power loss"');
    // A real failover is confirmed first: the modal shows the plan and the data at risk, and asks
    // for the scope's name.
    const typed = page.locator('[data-testid="modal"] input[data-input-action="typed"]');
    await typed.waitFor({ timeout: UI_TIMEOUT });
    await expect(page.locator('[data-testid="modal-title"]').textContent()).resolves.toBe("Confirm failover");
    await typed.fill("payment");
    await page.locator('[data-testid="modal"] button[data-modal="submit"]').click();
    await page.locator('[data-testid="modal-error"]').waitFor({ timeout: UI_TIMEOUT });
    await typed.fill("payments");
    await shot("02-confirm-failover.png");
    await page.locator('[data-testid="modal"] button[data-modal="submit"]').click();
    await page.locator('[data-testid="modal"]').waitFor({ state: "hidden", timeout: UI_TIMEOUT });
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

    await actAs(ADAM);
    await expect(
      page.locator('[data-testid="ephemeral"]', { hasText: "cannot approve" }).count(),
    ).resolves.toBe(0);
    await card.locator('button[data-action-id="dr:approve"]').click();
    await card.filter({ hasText: "1/2" }).waitFor({ timeout: UI_TIMEOUT });

    await actAs(BEA);
    await card.locator('button[data-action-id="dr:approve"]').click();
    await card.filter({ hasText: "Approved" }).waitFor({ timeout: UI_TIMEOUT });
    failover = await newestRun("failover");
    expect(failover.approvals.map((a) => a.userId)).toEqual([ADAM, BEA]);

    // The simulated steps take time: the progress message is edited as they finish, before the checklist.
    const progress = progressOf(`Failover ${failover.id}`);
    await progress.filter({ hasText: "(edited)" }).waitFor({ timeout: UI_TIMEOUT });
    const tick = progress.locator('button[data-action-id^="dr:tick"]');
    await tick.first().waitFor({ timeout: UI_TIMEOUT });
    await shot("04-progress-checklist.png");
    await tick.first().click();
    await progress
      .filter({ hasText: "DNS weights show DC2 at 100: @Bea Approver" })
      .waitFor({ timeout: UI_TIMEOUT });
    await tickChecklist(progress, 1);

    await progress.filter({ hasText: "Summary" }).waitFor({ timeout: UI_TIMEOUT });
    await expect(progress.textContent()).resolves.toContain("completed");
    await progress.locator("button[data-thread]").click();
    await page.locator("#thread-body", { hasText: "Announce" }).waitFor({ timeout: UI_TIMEOUT });
    await shot("05-completed.png");

    const finished = await demo.runtime.store.getRun(failover.id);
    expect(finished!.state).toBe("completed");
    const attestations = (await demo.runtime.store.getSteps(failover.id)).get("confirm-traffic")!
      .attestations!;
    expect(attestations.map((a) => a.userId)).toEqual([BEA, BEA]);
  }, 120_000);

  it("shows the run's report in the channel: the timeline picture drawn, the Markdown read as a document, the JSON to download", async () => {
    await page.locator("#thread-close").click();
    const report = message(`The report of ${failover.id}`);
    await report.waitFor({ timeout: UI_TIMEOUT });
    const picture = report.locator('[data-testid="file"][data-file-name$="timeline.svg"] img');
    await picture.waitFor({ timeout: UI_TIMEOUT });
    await waitFor(
      () =>
        picture.evaluate((img) => {
          const drawn = img as unknown as { complete: boolean; naturalWidth: number };
          return drawn.complete && drawn.naturalWidth > 0;
        }),
      {
        timeoutMs: UI_TIMEOUT,
        description: "the timeline picture drawn",
      },
    );
    const markdown = report.locator('[data-testid="file"][data-file-name$="report.md"] .markdown-body');
    await markdown.locator("h1", { hasText: failover.id }).waitFor({ timeout: UI_TIMEOUT });
    await expect(markdown.locator("h2", { hasText: "RTO" }).count()).resolves.toBe(1);
    await expect(markdown.locator("table").count()).resolves.toBeGreaterThan(2);
    const json = report.locator('a[data-testid="file"][data-file-name$="report.json"]');
    await expect(json.getAttribute("download")).resolves.toBe(`${failover.id}-report.json`);
    const body = await page.request.get(new URL((await json.getAttribute("href"))!, demo.url).toString());
    expect(((await body.json()) as { run: { id: string } }).run.id).toBe(failover.id);
    await report.scrollIntoViewIfNeeded();
    await shot("06-report.png");
  }, 60_000);

  it("names people, never their Slack ids, in the channel and its threads; the report names them too", async () => {
    // What drbot wrote in its messages; the report under one is a record, read below.
    const written = (scope: string) =>
      page.locator(`${scope} [data-testid="message"] .message-body > :not(.files)`).allTextContents();
    const channel = (await written("#timeline")).join("\n");
    expect(channel).toContain("@Olivia On-call");
    expect(channel).not.toMatch(USER_ID);
    await progressOf(`Failover ${failover.id}`).locator("button[data-thread]").click();
    await page.locator("#thread-body", { hasText: "Announce" }).waitFor({ timeout: UI_TIMEOUT });
    const thread = (await written("#thread-body")).join("\n");
    expect(thread).toContain("@Bea Approver");
    expect(thread).not.toMatch(USER_ID);
    await page.locator("#thread-close").click();
    // The report is the audit record: each person by name, with the id it was recorded under.
    const report = await message(`The report of ${failover.id}`).locator(".markdown-body").textContent();
    expect(report).toContain("Olivia On-call (U0ONCALL1)");
    expect(report).toContain("Bea Approver (U0APPROVER2)");
  }, 30_000);

  it("says payments is served from DC2 after the failover, and from DC1 again after a failback", async () => {
    await actAs(OLIVIA);
    await type("/dr status");
    await ephemeral("payments: serving from dc2").waitFor({ timeout: UI_TIMEOUT });

    await requestAndApprove('/dr failback payments --reason "DC1 restored"', "Failback requested", [
      ADAM,
      BEA,
    ]);
    const failback = await newestRun("failback");
    const progress = progressOf(`Failback ${failback.id}`);
    await tickChecklist(progress, 2);
    await progress.filter({ hasText: "Summary" }).waitFor({ timeout: UI_TIMEOUT });
    await message(`The report of ${failback.id}`).waitFor({ timeout: UI_TIMEOUT });

    await actAs(OLIVIA);
    await type("/dr status");
    await waitFor(
      async () => {
        const status = (await ephemeral("RPO per tier").textContent()) ?? "";
        return !status.includes("payments: serving from dc2") && status.includes("Serving");
      },
      { timeoutMs: UI_TIMEOUT, description: "a status no longer saying DC2 serves payments" },
    );
    expect((await demo.runtime.store.getRun(failback.id))!.state).toBe("completed");
  }, 120_000);

  it("runs a drill with its checklists to the end, and posts its report", async () => {
    await requestAndApprove(
      '/dr drill reporting --reason "quarterly drill"',
      "DR drill requested: reporting",
      [ADAM],
    );
    const drill = await newestRun("drill");
    const progress = progressOf(`DR drill ${drill.id}`);
    await progress.filter({ hasText: "All stakeholders notified" }).waitFor({ timeout: UI_TIMEOUT });
    await tickChecklist(progress, 5);
    await progress.filter({ hasText: "The application answers on DR" }).waitFor({ timeout: UI_TIMEOUT });
    await tickChecklist(progress, 2);
    await progress.filter({ hasText: "Summary" }).waitFor({ timeout: UI_TIMEOUT });
    await message(`The report of ${drill.id}`).waitFor({ timeout: UI_TIMEOUT });
    expect((await demo.runtime.store.getRun(drill.id))!.state).toBe("completed");
  }, 120_000);

  it("keeps a waiting drill's clock moving, and an abort there undoes what it changed and says so", async () => {
    await requestAndApprove('/dr drill core-api --reason "abort practice"', "DR drill requested: core-api", [
      ADAM,
    ]);
    const drill = await newestRun("drill");
    const progress = progressOf(`DR drill ${drill.id}`);
    await progress.filter({ hasText: "All stakeholders notified" }).waitFor({ timeout: UI_TIMEOUT });
    await tickChecklist(progress, 5);
    // Isolated and scaled up, the drill waits for its check: nobody acts, the elapsed time still moves.
    await progress.locator('button[data-action-id^="dr:tick"]').first().waitFor({ timeout: UI_TIMEOUT });
    const elapsed = () => progress.locator(".mrkdwn", { hasText: "Elapsed" }).first().textContent();
    const before = await elapsed();
    await waitFor(async () => (await elapsed()) !== before, {
      timeoutMs: CLOCK_TIMEOUT,
      description: `the elapsed time to move on from "${before}"`,
    });

    await actAs(OLIVIA);
    await clickAndConfirm(progress.locator('button[data-action-id="dr:abort"]'));
    await progress.filter({ hasText: "What changed" }).waitFor({ timeout: UI_TIMEOUT });
    const summary = await progress.textContent();
    expect(summary).toMatch(/aborted/i);
    expect(summary).toMatch(/isolat/i);
    expect(summary).toMatch(/scal/i);
    expect(summary).toMatch(/undone/i);
    await progress.scrollIntoViewIfNeeded();
    await shot("07-aborted-drill.png");
    expect((await demo.runtime.store.getRun(drill.id))!.state).toBe("aborted");
    const steps = await demo.runtime.store.getSteps(drill.id);
    expect(
      [...steps.values()]
        .filter((s) => s.undone)
        .map((s) => s.id)
        .sort(),
    ).toEqual(["isolate", "scale-up.production.core-api", "scale-up.staging.core-api"]);
  }, 120_000);

  it("shows drbot's Home tab from the sidebar: readiness, who serves what, runs and the calendar", async () => {
    await page.goto(`${demo.url}?as=U0ONCALL1`);
    await page.locator("#home-tab").click();
    const home = page.locator('[data-testid="app-home"]');
    await home.locator("text=Serving").waitFor({ timeout: UI_TIMEOUT });
    await expect(home.textContent()).resolves.toContain("Recent runs");
    await expect(page.locator("#channel-name").textContent()).resolves.toBe("drbot · Home");
    await shot("08-app-home.png");
    await page.locator('li[data-channel="C0INCIDENT"]').click();
    await page.locator("#channel-name", { hasText: "# incident" }).waitFor({ timeout: UI_TIMEOUT });
  });

  it("opens # general from the sidebar, where an uploaded Markdown file is shown as text and runs nothing", async () => {
    const bot = new WebClient(demo.emulator.botToken, {
      slackApiUrl: demo.emulator.apiUrl,
      retryConfig: { retries: 0 },
    });
    await bot.filesUploadV2({
      channel_id: "C0GENERAL",
      initial_comment: "A file with markup in it",
      file_uploads: [
        {
          file: Buffer.from(
            '# <img src=x onerror="window.pwned=1">\n\n<script>window.pwned=1</script> **bold**\n',
          ),
          filename: "hostile.md",
          title: "hostile",
        },
      ],
    });
    await page.locator('li[data-channel="C0GENERAL"]').click();
    await page.locator("#channel-name", { hasText: "# general" }).waitFor({ timeout: UI_TIMEOUT });
    const preview = message("A file with markup in it").locator(".markdown-body");
    await preview.locator("strong", { hasText: "bold" }).waitFor({ timeout: UI_TIMEOUT });
    expect(await preview.locator("h1").textContent()).toBe('<img src=x onerror="window.pwned=1">');
    await expect(preview.locator("script, img").count()).resolves.toBe(0);
    await expect(page.evaluate("window.pwned")).resolves.toBeUndefined();
    await expect(
      page.locator('[data-testid="message"]', { hasText: "Failover requested" }).count(),
    ).resolves.toBe(0);

    await page.locator('li[data-channel="C0INCIDENT"]').click();
    await page.locator("#channel-name", { hasText: "# incident" }).waitFor({ timeout: UI_TIMEOUT });
    const favicon = await page.request.get(
      new URL((await page.locator('link[rel="icon"]').getAttribute("href"))!, demo.url).toString(),
    );
    expect(favicon.status()).toBe(200);
  }, 60_000);
});
