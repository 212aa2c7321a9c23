import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, LogLevel, SocketModeReceiver } from "@slack/bolt";
import type { SlackEmulator } from "../../src/emulator/slack-emulator.js";

/**
 * Real Bolt apps pointed at the emulator, the way drbot's own app is: only the Slack base URL
 * differs. HTTP apps listen on 127.0.0.1 port 0 and the emulator is told their Request URL.
 */
export interface RunningApp {
  app: App;
  stop(): Promise<void>;
}

const clientOptions = (emulator: SlackEmulator) => ({
  slackApiUrl: emulator.apiUrl,
  retryConfig: { retries: 0 },
});

export async function startHttpApp(
  emulator: SlackEmulator,
  register: (app: App) => void,
  options: { signingSecret?: string } = {},
): Promise<RunningApp> {
  const app = new App({
    token: emulator.botToken,
    signingSecret: options.signingSecret ?? emulator.signingSecret,
    clientOptions: clientOptions(emulator),
    logLevel: LogLevel.ERROR,
  });
  register(app);
  const server = (await app.start({ port: 0, host: "127.0.0.1" })) as Server;
  emulator.setRequestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  return { app, stop: () => app.stop().then(() => undefined) };
}

export async function startSocketApp(
  emulator: SlackEmulator,
  register: (app: App) => void,
  options: { clientPingTimeout?: number } = {},
): Promise<RunningApp> {
  const receiver = new SocketModeReceiver({
    appToken: emulator.appToken,
    logLevel: LogLevel.ERROR,
    // The reconnect delay is this timeout times the failure count; a short one keeps reconnect tests quick.
    ...(options.clientPingTimeout ? { clientPingTimeout: options.clientPingTimeout } : {}),
    installerOptions: { clientOptions: clientOptions(emulator) },
  });
  const app = new App({
    token: emulator.botToken,
    receiver,
    clientOptions: clientOptions(emulator),
    logLevel: LogLevel.ERROR,
  });
  register(app);
  await app.start();
  await emulator.waitForSocket();
  return { app, stop: () => app.stop().then(() => undefined) };
}
