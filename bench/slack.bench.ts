import { KubernetesSite } from "../src/adapters/kubernetes/kubernetes-site.js";
import { kubernetesSites } from "../src/runtime/create-runtime.js";
import { testRunbook } from "../test/support/config-fixture.js";
import { effect } from "../test/support/engine-harness.js";
import { startTestClusters } from "../test/support/k8s-testenv.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../test/support/slack-harness.js";
import { waitFor } from "../test/support/wait-for.js";
import { type BenchResult, type Figure, percentile } from "./bench-kit.js";
import { burst } from "./slack-burst.js";

/**
 * The Slack surface under load, through the emulator and the real Bolt: 50 concurrent `/dr status`
 * and 50 concurrent button clicks, with both sites healthy and with DC1 replaced by a port that
 * accepts connections and never answers; then a burst of 200 at once, approvals among them, against
 * `drbot serve` in its own process on real Redis (bench/slack-burst.ts). Also counts Slack API calls for a 30-step run.
 */
const CONCURRENT = 50;
const TAGS = ["OK", "HUNG"] as const;

const scenarioUsers = (tag: string) =>
  Array.from({ length: CONCURRENT }, (_, i) => `U0${tag}${String(i).padStart(2, "0")}`);
const warmUpUsers = (tag: string) => Array.from({ length: 5 }, (_, i) => `U0WARM${tag}${i}`);

/** Everyone the scenarios act as: the emulator answers user_not_found for people it does not know. */
const benchUsers = TAGS.flatMap((tag) => [...scenarioUsers(tag), ...warmUpUsers(tag)]).map((id) => ({
  id,
  name: id.toLowerCase(),
}));

async function scenario(label: string, tag: (typeof TAGS)[number], h: SlackHarness): Promise<Figure[]> {
  const users = scenarioUsers(tag);
  // Warm-up: the first requests pay for connections and compilation, not for drbot's design; a bot
  // in production has long been warm. Each measured path (help, status, a click) is run first.
  const warm = warmUpUsers(tag);
  await Promise.all(warm.map((u) => h.dr(u, "help", "C0RANDOM")));
  await Promise.all(warm.map((u) => h.dr(u, "status", "C0RANDOM")));
  await waitFor(
    () => warm.every((u) => h.emulator.ephemerals(u).some((e) => e.text.includes("*RPO per tier*"))),
    { timeoutMs: 60_000, intervalMs: 20, description: "the warm-up status answers" },
  );
  const started = Date.now();
  const acks = await Promise.all(users.map((u) => h.dr(u, "status", "C0RANDOM")));
  const answered: number[] = [];
  await waitFor(
    () => {
      answered.length = 0;
      for (const u of users) {
        const answer = h.emulator.ephemerals(u).find((e) => e.text.includes("*RPO per tier*"));
        if (answer) answered.push(answer.at - started);
      }
      return answered.length === users.length;
    },
    { timeoutMs: 60_000, intervalMs: 20, description: "every status answer" },
  );
  const cards = () => h.emulator.messages(INCIDENT).filter((m) => m.text.startsWith("Failover requested"));
  const before = cards().length;
  await h.dr("U0ONCALL", `failover payments --reason "${label}"`);
  await waitFor(() => cards().length > before, { timeoutMs: 10_000, description: "the approval card" });
  const card = cards().at(-1)!;
  const value = /"value":"(failover-[^"]+)"/.exec(JSON.stringify(card.blocks))![1]!;
  const click = (u: string) =>
    h.emulator.sendBlockAction({
      userId: u,
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value,
    });
  await Promise.all(warm.map(click));
  const clicks = await Promise.all(users.map(click));
  const ackMs = [...acks, ...clicks].map((a) => a.ackMs);
  const dc1Down = users.filter((u) =>
    h.emulator
      .ephemerals(u)
      .some(
        (e) => e.text.includes("*RPO per tier*") && /\*dc1\* \(primary\): :red_circle: down/.test(e.text),
      ),
  ).length;
  // Withdrawn by its requester with a click (a rejection must be signed like any decision), so the
  // next scenario can request the same scope.
  const runId = value.split("|")[0]!;
  await h.click("U0ONCALL", INCIDENT, card.ts, "dr:reject");
  await waitFor(async () => (await h.store.getRun(runId))?.state === "rejected", {
    timeoutMs: 30_000,
    description: "the request withdrawn",
  });
  return [
    { name: `${label}: ack p50`, value: percentile(ackMs, 50), unit: "ms" },
    { name: `${label}: ack p99`, value: percentile(ackMs, 99), unit: "ms", target: { op: "<", value: 300 } },
    {
      name: `${label}: slowest ack`,
      value: Math.max(...ackMs),
      unit: "ms",
      target: { op: "<", value: 3_000 },
    },
    {
      name: `${label}: acks later than 3 s`,
      value: [...acks, ...clicks].filter((a) => a.timedOut).length,
      unit: "acks",
      target: { op: "<=", value: 0 },
    },
    { name: `${label}: answers showing DC1 down`, value: dc1Down, unit: "answers" },
    {
      name: `${label}: full status answer p99`,
      value: percentile(answered, 99),
      unit: "ms",
      target: { op: "<", value: 3_000 },
    },
  ];
}

export async function run(): Promise<BenchResult> {
  const clusters = await startTestClusters();
  const figures: Figure[] = [];
  const notes = [
    `${CONCURRENT} concurrent /dr status and ${CONCURRENT} concurrent clicks per scenario; DC1 hung = a local port that accepts and never answers`,
  ];
  try {
    const config = clusters.config();
    const runbooks = [
      testRunbook({
        name: "failover",
        phases: [{ name: "fast", steps: Array.from({ length: 30 }, (_, i) => effect(`s${i}`)) }],
      }),
    ];
    const healthy = kubernetesSites(config);
    let reader = (name: string) => healthy.site(name).health();
    let h = await startSlackHarness({
      runbooks,
      config,
      services: { sites: healthy },
      siteHealth: (name) => reader(name),
      extraUsers: benchUsers,
    });
    try {
      figures.push(...(await scenario("healthy", "OK", h)));
      const hungFile = await clusters.hungKubeconfig();
      const hung = new KubernetesSite({
        ...config.sites[0]!,
        kubeconfig: { path: hungFile, context: "dc1", inCluster: false },
        requestTimeout: 30_000,
      });
      reader = (name) => (name === "dc1" ? hung.health() : healthy.site(name).health());
      // Status readings are shared for 2 s; the hung scenario must read the sites afresh.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      figures.push(...(await scenario("DC1 hung", "HUNG", h)));
    } finally {
      await h.stop();
    }
    const crowd = await burst(clusters);
    figures.push(...crowd.figures);
    notes.push(...crowd.notes);
    // Slack API calls for one 30-step run, from the last approval to the summary.
    h = await startSlackHarness({ runbooks, config });
    try {
      await h.dr("U0ONCALL", 'failover payments --reason "count calls"');
      const card = await h.findMessage("Failover requested");
      await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
      await h.surface.notifier.idle();
      h.emulator.resetCallCounts();
      await h.click("U0A2", INCIDENT, card.ts, "dr:approve");
      const runId = (await h.store.listRuns())[0]!.id;
      const progress = await h.findMessage(`Failover ${runId}`);
      await waitFor(
        () => JSON.stringify(h.emulator.message(INCIDENT, progress.ts)!.blocks).includes("Summary"),
        { timeoutMs: 60_000, description: "the summary" },
      );
      await h.surface.notifier.idle();
      figures.push(
        { name: "Slack API calls per 30-step run", value: h.emulator.callCount(), unit: "calls" },
        { name: "  of which chat.update", value: h.emulator.callCount("chat.update"), unit: "calls" },
        {
          name: "  of which thread replies (chat.postMessage)",
          value: h.emulator.callCount("chat.postMessage"),
          unit: "calls",
        },
      );
    } finally {
      await h.stop();
    }
  } finally {
    await clusters.stop();
  }
  return {
    name: "slack",
    figures,
    notes,
  };
}
