import { createServer, type ServerResponse } from "node:http";
import { WebClient } from "@slack/web-api";
import { startWatch } from "../app/start-watch.js";
import { primarySite } from "../domain/config.js";
import type { SitePort } from "../ports/site.js";
import { logWatchNotifier } from "../ports/watch-notifier.js";
import type { Runtime } from "../runtime/create-runtime.js";
import { openLeaderLease } from "../runtime/open-leader-lease.js";
import { createSlackApp, type SlackSurface, slackSettingsFromEnv } from "../slack/create-slack-app.js";
import { registerWatchListeners } from "../slack/listeners/watch-listeners.js";
import { SlackDirectory } from "../slack/slack-directory.js";
import { SlackWatchNotifier } from "../slack/slack-watch-notifier.js";
import type { CliIo } from "./main.js";

/**
 * `drbot serve`: the long-running process. The Slack surface (HTTP on PORT at /slack/events, or
 * Socket Mode) when SLACK_BOT_TOKEN is set; /healthz and /readyz on the same port; and the
 * supervisor that takes over runs whose owner died and expires stale requests.
 */
export async function serve(rt: Runtime, io: CliIo): Promise<number> {
  const port = Number(io.env.PORT ?? 3000);
  let ready = false;
  const healthz = (res: ServerResponse) =>
    void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  const readyz = async (res: ServerResponse) => {
    const storeOk = await rt.store.kvGet("readyz").then(
      () => true,
      () => false,
    );
    const ok = ready && storeOk;
    res
      .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
      .end(ok ? "ready\n" : storeOk ? "starting\n" : "store unavailable\n");
  };
  const settings = slackSettingsFromEnv(io.env);
  let surface: SlackSurface | undefined;
  let plain: ReturnType<typeof createServer> | undefined;
  if (settings) {
    const groups = () => [
      ...new Set(
        Object.values(rt.config.slack.permissions).flatMap((p) => [
          ...p.requesters.groups,
          ...p.approvers.groups,
        ]),
      ),
    ];
    rt.directory.use(
      new SlackDirectory(
        new WebClient(settings.botToken, {
          ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
          timeout: 5_000,
        }),
        groups,
      ),
    );
    surface = createSlackApp(
      {
        ...settings,
        port,
        routes: [
          { path: "/healthz", handler: healthz },
          { path: "/readyz", handler: readyz },
        ],
      },
      { service: rt.service, store: rt.store, clock: rt.clock },
    );
    rt.observers.attach(surface.notifier);
    registerWatchListeners(surface.app, { service: rt.service, store: rt.store, notifier: surface.notifier });
    await surface.start();
    io.out(`drbot serving Slack (${settings.mode} mode) on :${port}; engine owner ${rt.engine.ownerId}`);
  } else {
    plain = createServer((req, res) => {
      if (req.url === "/healthz") return healthz(res);
      if (req.url === "/readyz") return void readyz(res);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => plain!.listen(port, io.env.BIND_ADDRESS ?? "0.0.0.0", resolve));
    io.out(
      `drbot serving on :${port} without Slack (SLACK_BOT_TOKEN is not set); engine owner ${rt.engine.ownerId}`,
    );
  }
  const supervise = async () => {
    try {
      await rt.service.supervise();
      ready = true;
    } catch (error) {
      ready = false;
      io.err(`supervisor: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await supervise();
  const timer = setInterval(
    () => void supervise(),
    Math.max(1000, Math.floor(rt.config.engine.leaseTtl / 2)),
  );
  // Failure detection and the DR calendar run in whichever replica holds the leader lease.
  const lease = await openLeaderLease(rt.config, io.env);
  const hasChannel = Boolean(rt.config.watch.channel ?? rt.config.slack.incidentChannels[0]);
  const watch = startWatch({
    config: rt.config,
    service: rt.service,
    store: rt.store,
    clock: rt.clock,
    primary: primaryOrNothing(rt, io),
    lease,
    notifier:
      surface && hasChannel ? new SlackWatchNotifier(surface.client, rt.store) : logWatchNotifier(io.err),
    token: rt.engine.ownerId,
    log: io.err,
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await watch.stop();
  await lease.close();
  clearInterval(timer);
  await surface?.stop();
  if (plain) await new Promise<void>((resolve) => plain!.close(() => resolve()));
  return 0;
}

/** The primary to watch; a kubeconfig that cannot be loaded is reported, and serving goes on without watching. */
function primaryOrNothing(rt: Runtime, io: CliIo): SitePort | undefined {
  try {
    return rt.sites.site(primarySite(rt.config).name);
  } catch (error) {
    io.err(`watcher: cannot reach the primary: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
