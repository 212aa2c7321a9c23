import { DR_COMMAND, RUN_ACTION } from "../slack-actions.js";
import type { SignedAction } from "./signed-claim.js";

/**
 * Which signed Slack click or `/dr` command proves which action on which run. A person's signed
 * request proves only what it says: the button of that action carrying that run (and that step), or
 * `/dr <action> <run> [<step>]`. Another button, another run or another step proves nothing, so a
 * kept request can never be replayed as the proof of a different act.
 */
export interface BoundAction {
  action: SignedAction;
  runId: string;
  step?: string;
}

const TICK_BUTTON = new RegExp(`^${RUN_ACTION.tick}:\\d+$`);

/** The buttons that carry each action, each with its value as `<run>|<step>|…`. */
const BUTTONS: Partial<Record<SignedAction, (actionId: string) => boolean>> = {
  abort: (id) => id === RUN_ACTION.abort,
  resume: (id) => id === RUN_ACTION.resume,
  reject: (id) => id === RUN_ACTION.reject,
  tick: (id) => id === RUN_ACTION.gate || TICK_BUTTON.test(id),
};

/** Undefined when the click proves the action; otherwise why not. */
export function clickProves(
  click: { actionId: string; value: string },
  expected: BoundAction,
): string | undefined {
  const isButton = BUTTONS[expected.action];
  if (!isButton?.(click.actionId)) return `the Slack click is not a ${expected.action} button`;
  const [runId, step] = click.value.split("|");
  if (runId !== expected.runId) return `the Slack click is not on ${expected.runId}`;
  if (expected.step !== undefined && step !== expected.step)
    return `the Slack click is not on step ${expected.step}`;
  return undefined;
}

/** Undefined when `/dr <action> <run> [<step>] …` proves the action; otherwise why not. */
export function commandProves(
  command: { command: string; text: string },
  expected: BoundAction,
): string | undefined {
  const [word, runId, step] = command.text.trim().split(/\s+/);
  if (command.command !== DR_COMMAND || word !== expected.action)
    return `the Slack command is not /dr ${expected.action}`;
  if (runId !== expected.runId) return `the Slack command is not about ${expected.runId}`;
  if (expected.step !== undefined && step !== expected.step)
    return `the Slack command is not about step ${expected.step}`;
  return undefined;
}
