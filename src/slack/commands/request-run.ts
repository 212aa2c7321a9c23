import { rest } from "../../../commands/parse-command-line.js";
import { requestTargets } from "../../../commands/scope-words.js";
import { answerWithin } from "../../app/answer-within.js";
import type { DrService } from "../../app/dr-service.js";
import type { RunKind } from "../../domain/config.js";
import { formatMs } from "../../domain/duration.js";
import { DrError } from "../../domain/errors.js";
import { runExposure } from "../../domain/rpo.js";
import { exposureText } from "../views/approval-card.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { scopeBusyText, scopeHolderOf } from "../views/scope-busy.js";
import { askConfirmation } from "./confirm-run.js";
import {
  ephemeral,
  type Invocation,
  type SlackCommandDeps,
  type SlackCommandHandler,
} from "./slack-command.js";

/**
 * `/dr failover|failback|drill [tier|app…]`: in an incident channel, asks for approvals with a card
 * in the channel; `--dry-run` shows the plan and the data at risk to the person alone, anywhere.
 */
export function requestRun(kind: RunKind): SlackCommandHandler {
  return async (cmd, inv, deps) => {
    const s = deps.service;
    const { reason, backup, window, dryRun, withShared } = cmd.flags;
    const channels = s.config.slack.incidentChannels;
    if (!dryRun && !channels.includes(inv.channel)) {
      const error = new DrError(
        "wrong_channel",
        channels.length
          ? `${kind} runs are requested in an incident channel, where the incident is recorded`
          : "no incident channel is configured (slack.incidentChannels), so no run can be requested",
        { channel: inv.channel },
      );
      await s.auditRefusal(inv.actor, error, { command: kind });
      // Channel links are drbot's own markup, so this refusal is written here rather than escaped.
      const where = channels.map((c) => `<#${c}>`).join(", ");
      await ephemeral(
        inv.respond,
        channels.length
          ? `*Not in this channel*: ${kind} runs are requested in ${where}, where the incident is recorded.`
          : `*Not in this channel*: ${error.message}`,
      );
      return;
    }
    const typed = rest(cmd);
    const reasonHint = kind === "drill" ? "" : ' --reason "…"';
    const targets = requestTargets(
      kind,
      typed,
      s.config.applications[0]?.name ?? "payments",
      (scope) => `/dr ${kind} ${scope}${reasonHint}`,
    );
    const runbook = s.runbookFor(kind);
    const pins = backup ? { backup } : undefined;
    if (dryRun) {
      await ephemeral(
        inv.respond,
        await dryRunText(s, kind, runbook.name, targets, pins, withShared === true),
      );
      return;
    }
    if (kind !== "drill" && !reason)
      throw new DrError("invalid_input", `say why: /dr ${kind} ${typed.join(" ")} --reason "…"`);
    const request = {
      targets,
      reason: [reason ?? "", window ? `(window: ${window})` : ""].filter(Boolean).join(" "),
      ...(backup ? { backup } : {}),
      ...(withShared ? { withShared: true } : {}),
    };
    // A real failover or failback is confirmed first: the requester types the scope's name in a modal.
    if (kind === "failover" || kind === "failback") {
      await askConfirmation({ kind, ...request, channel: inv.channel }, inv, deps);
      return;
    }
    await submitRunRequest(kind, request, inv, deps, `slack:${inv.triggerId}`);
  };
}

/**
 * Requests the run (a drill at once; a failover or failback once confirmed in its modal), posts its
 * card in the channel and tells the requester what happens next. `inv.witness` is the proof kept: the
 * signed command, or the signed submission of the confirmation modal.
 */
export async function submitRunRequest(
  kind: RunKind,
  request: { targets: string[]; reason: string; backup?: string; withShared?: boolean },
  inv: Invocation,
  deps: SlackCommandDeps,
  dedupeKey: string,
): Promise<void> {
  const s = deps.service;
  let outcome: Awaited<ReturnType<DrService["request"]>>;
  try {
    outcome = await s.request({
      actor: inv.actor,
      runbook: s.runbookFor(kind).name,
      targets: request.targets,
      reason: request.reason,
      source: "slack",
      channel: inv.channel,
      dedupeKey,
      witness: inv.witness,
      ...(request.backup ? { pins: { backup: request.backup } } : {}),
      ...(request.withShared ? { withShared: true } : {}),
    });
  } catch (error) {
    const holder = error instanceof DrError && error.code === "scope_busy" && scopeHolderOf(error.details);
    if (!holder) throw error;
    await ephemeral(inv.respond, scopeBusyText(holder, inv.actor, await cardLink(deps, holder.runId)));
    return;
  }
  if (outcome.duplicate) return;
  await deps.notifier.postCard(outcome.run, inv.channel);
  const note =
    outcome.run.requiredApprovals > 0
      ? `needs ${outcome.run.requiredApprovals} approval(s) from someone other than you`
      : "no approval needed; it starts now";
  await ephemeral(
    inv.respond,
    `Requested \`${outcome.run.id}\`: ${note}. Expires in ${formatMs(outcome.run.expiresAt - deps.clock.now())}.`,
  );
}

/** How long a refusal waits for Slack to give the holder's card address before it goes without. */
const CARD_LINK_DEADLINE_MS = 1_500;

/** The address of a run's approval card, for a link; undefined when unknown or Slack is slow. */
async function cardLink(deps: SlackCommandDeps, runId: string): Promise<string | undefined> {
  const lookup = async () => {
    const refs = await deps.notifier.refs(runId);
    if (!refs?.cardTs) return undefined;
    const answer = await deps.client.chat.getPermalink({ channel: refs.channel, message_ts: refs.cardTs });
    return answer.permalink;
  };
  try {
    return await answerWithin(lookup(), CARD_LINK_DEADLINE_MS, undefined);
  } catch (error) {
    // The refusal still names the run by id; only the link is left out.
    deps.log.warn("could not find the address of a run's card", {
      operation: "slack.command.scope-busy",
      runId,
      err: error,
    });
    return undefined;
  }
}

async function dryRunText(
  s: DrService,
  kind: RunKind,
  runbook: string,
  targets: string[],
  pins: Record<string, string> | undefined,
  withShared: boolean,
): Promise<string> {
  const plan = await s.plan({ runbook, targets, withShared, ...(pins ? { pins } : {}) });
  const exposure = runExposure(await s.rpo(), plan.scope.tiers);
  const lines = plan.steps
    .slice(0, 40)
    .map((p, i) => `${i + 1}. ${escapeMrkdwn(p.title)}: ${escapeMrkdwn(p.summary)}`);
  return `*Dry run* of ${kind} for ${plan.scope.applications.join(", ")} (plan \`${plan.hash}\`, nothing was requested)\nData at risk: ${exposureText(exposure)}\n${lines.join("\n")}${plan.steps.length > 40 ? `\n… ${plan.steps.length - 40} more` : ""}`;
}
