import type { App, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { COMMANDS } from "../../../commands/definitions.js";
import type { DrService } from "../../app/dr-service.js";
import type { RunReports } from "../../app/report/run-reports.js";
import type { RunKind } from "../../domain/config.js";
import { formatMs } from "../../domain/duration.js";
import { DrError } from "../../domain/errors.js";
import { runExposure } from "../../domain/rpo.js";
import type { Clock } from "../../ports/clock.js";
import { type DrCommand, helpText, parseDrCommand } from "../parse-dr-command.js";
import { uploadReport } from "../slack-report-publisher.js";
import type { SlackRunNotifier } from "../slack-run-notifier.js";
import { exposureText } from "../views/approval-card.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { statusText } from "../views/status-view.js";
import { replyError } from "./reply-error.js";

interface Deps {
  service: DrService;
  notifier: SlackRunNotifier;
  clock: Clock;
  reports: RunReports;
  client: WebClient;
}

/** `/dr …`: acknowledged at once (nothing a cluster, Redis or Slack does can delay it), then handled. */
export function registerDrCommand(app: App, deps: Deps): void {
  app.command("/dr", async ({ command, ack, respond }) => {
    await ack();
    const actor = command.user_id;
    let parsed: DrCommand;
    try {
      parsed = parseDrCommand(command.text ?? "");
    } catch (error) {
      if (error instanceof DrError)
        await deps.service.auditRefusal(actor, error, { command: "/dr", channel: command.channel_id });
      await replyError(respond, error);
      return;
    }
    try {
      await handle(
        parsed,
        { actor, channel: command.channel_id, triggerId: command.trigger_id, respond },
        deps,
      );
    } catch (error) {
      if (error instanceof DrError && !["scope_busy", "not_permitted"].includes(error.code))
        await deps.service.auditRefusal(actor, error, { command: parsed.name });
      await replyError(respond, error);
    }
  });
}

interface Invocation {
  actor: string;
  channel: string;
  triggerId: string;
  respond: RespondFn;
}

const ephemeral = (respond: RespondFn, text: string) => respond({ response_type: "ephemeral", text });

async function handle(cmd: DrCommand, inv: Invocation, deps: Deps): Promise<void> {
  const s = deps.service;
  switch (cmd.name) {
    case "help":
      return void (await ephemeral(inv.respond, helpText()));
    case "status":
      return answerStatus(s, inv.respond);
    case "failover":
    case "failback":
    case "drill":
      return requestRun(cmd.name, cmd, inv, deps);
    case "runs": {
      const runs = await s.runs(15);
      return void (await ephemeral(
        inv.respond,
        runs.length
          ? runs
              .map(
                (r) =>
                  `\`${r.id}\` ${r.state.replace(/_/g, " ")}: ${r.scope.applications.join(", ")} by <@${r.requestedBy}>`,
              )
              .join("\n")
          : "No runs yet.",
      ));
    }
    case "report": {
      // The files go to the channel the command was typed in: reports are for everyone there.
      const files = await deps.reports.files(requireArg(cmd, 0, "RUN"));
      await uploadReport(
        deps.client,
        files,
        inv.channel,
        `The report of ${files.report.run.id}, asked for by <@${inv.actor}>`,
      );
      return void (await ephemeral(
        inv.respond,
        `Report of \`${files.report.run.id}\` posted here: ${escapeMrkdwn(files.report.outcome)}`,
      ));
    }
    case "show": {
      const runId = requireArg(cmd, 0, "RUN");
      const { run, steps } = await s.show(runId);
      const lines = run.plan.steps.map(
        (p) => `${(steps.get(p.id)?.status ?? "not_started").replace(/_/g, " ")}: ${escapeMrkdwn(p.title)}`,
      );
      return void (await ephemeral(
        inv.respond,
        `*${run.id}* ${run.state.replace(/_/g, " ")} (plan \`${run.plan.hash}\`)\n${lines.slice(0, 60).join("\n")}`,
      ));
    }
    case "abort": {
      const run = await s.abort({
        actor: inv.actor,
        runId: requireArg(cmd, 0, "RUN"),
        ...(cmd.note ? { note: cmd.note } : {}),
      });
      return void (await ephemeral(
        inv.respond,
        `Abort of \`${run.id}\` requested; it is ${run.state.replace(/_/g, " ")}.`,
      ));
    }
    case "resume": {
      const run = await s.resume({ actor: inv.actor, runId: requireArg(cmd, 0, "RUN") });
      return void (await ephemeral(inv.respond, `\`${run.id}\` resumed.`));
    }
    case "skip": {
      const run = await s.skip({
        actor: inv.actor,
        runId: requireArg(cmd, 0, "RUN"),
        stepId: requireArg(cmd, 1, "STEP"),
      });
      return void (await ephemeral(
        inv.respond,
        `Step skipped; \`${run.id}\` is ${run.state.replace(/_/g, " ")}.`,
      ));
    }
    default:
      return void (await ephemeral(inv.respond, helpText()));
  }
}

async function requestRun(kind: RunKind, cmd: DrCommand, inv: Invocation, deps: Deps): Promise<void> {
  const s = deps.service;
  const channels = s.config.slack.incidentChannels;
  if (!cmd.dryRun && !channels.includes(inv.channel)) {
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
  const runbook = s.runbookFor(kind);
  const pins = cmd.backup ? { backup: cmd.backup } : undefined;
  if (cmd.dryRun) {
    const plan = s.plan({ runbook: runbook.name, targets: cmd.args, ...(pins ? { pins } : {}) });
    const exposure = runExposure(await s.rpo(), plan.scope.tiers);
    const lines = plan.steps
      .slice(0, 40)
      .map((p, i) => `${i + 1}. ${escapeMrkdwn(p.title)}: ${escapeMrkdwn(p.summary)}`);
    await ephemeral(
      inv.respond,
      `*Dry run* of ${kind} for ${plan.scope.applications.join(", ")} (plan \`${plan.hash}\`, nothing was requested)\nData at risk: ${exposureText(exposure)}\n${lines.join("\n")}${plan.steps.length > 40 ? `\n… ${plan.steps.length - 40} more` : ""}`,
    );
    return;
  }
  if (kind !== "drill" && !cmd.reason)
    throw new DrError("invalid_input", `say why: /dr ${kind} ${cmd.args.join(" ")} --reason "…"`);
  const reason = [cmd.reason ?? "", cmd.window ? `(window: ${cmd.window})` : ""].filter(Boolean).join(" ");
  let outcome: Awaited<ReturnType<DrService["request"]>>;
  try {
    outcome = await s.request({
      actor: inv.actor,
      runbook: runbook.name,
      targets: cmd.args,
      reason,
      source: "slack",
      channel: inv.channel,
      dedupeKey: `slack:${inv.triggerId}`,
      ...(pins ? { pins } : {}),
    });
  } catch (error) {
    // A double submission by the same person finds their own request holding the scope.
    if (error instanceof DrError && error.code === "scope_busy" && error.details.owner === inv.actor) {
      await ephemeral(
        inv.respond,
        `You already requested this: \`${String(error.details.runId)}\` is ${String(error.details.state).replace(/_/g, " ")}.`,
      );
      return;
    }
    throw error;
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

/**
 * Slack cannot edit a slash command's reply: `replace_original` on its response_url applies only to
 * messages with buttons (bolt-js#2287, bolt-python#1268), so a placeholder would stay on screen
 * beside the answer. A quick answer is therefore the only message; the placeholder is sent only
 * when the sites are slow (every reading has its deadline, so the answer still follows in seconds).
 */
const STATUS_PLACEHOLDER_AFTER_MS = 750;

async function answerStatus(s: DrService, respond: RespondFn): Promise<void> {
  const answer = s.status().then(statusText);
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), STATUS_PLACEHOLDER_AFTER_MS);
  });
  const first = await Promise.race([answer, slow]).finally(() => clearTimeout(timer));
  if (first === "slow")
    await ephemeral(
      respond,
      ":hourglass_flowing_sand: Checking both sites… one is slow to answer; the status follows here within seconds.",
    );
  await ephemeral(respond, await answer);
}

function requireArg(cmd: DrCommand, index: number, name: string): string {
  const value = cmd.args[index];
  if (!value)
    throw new DrError(
      "invalid_input",
      `${name} is missing; usage: /dr ${COMMANDS.find((c) => c.name === cmd.name)?.usage ?? cmd.name}`,
    );
  return value;
}
