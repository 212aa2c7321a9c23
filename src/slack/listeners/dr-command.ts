import type { App, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { DrService } from "../../app/dr-service.js";
import type { RunReports } from "../../app/report/run-reports.js";
import type { RunKind } from "../../domain/config.js";
import { formatMs } from "../../domain/duration.js";
import { DrError } from "../../domain/errors.js";
import { describePlacement } from "../../domain/placement.js";
import { runExposure } from "../../domain/rpo.js";
import type { Clock } from "../../ports/clock.js";
import { type DrCommand, helpText, parseDrCommand } from "../parse-dr-command.js";
import { uploadReport } from "../slack-report-publisher.js";
import type { SlackRunNotifier } from "../slack-run-notifier.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { exposureText } from "../views/run-views.js";
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
      await ephemeral(inv.respond, ":hourglass_flowing_sand: Checking both sites…");
      return void (await ephemeral(inv.respond, await statusText(s)));
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
        (p) => `${steps.get(p.id)?.status ?? "not_started"}: ${escapeMrkdwn(p.title)}`,
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
      `*Dry run* of ${kind} for ${plan.scope.applications.join(", ")} (plan \`${plan.hash}\`, nothing was requested)\nData at risk: ${exposureText(exposure, 0)}\n${lines.join("\n")}${plan.steps.length > 40 ? `\n… ${plan.steps.length - 40} more` : ""}`,
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

function requireArg(cmd: DrCommand, index: number, name: string): string {
  const value = cmd.args[index];
  if (!value) throw new DrError("invalid_input", `usage: /dr ${cmd.name} ${name}`);
  return value;
}

async function statusText(s: DrService): Promise<string> {
  const report = await s.status();
  const lines = ["*drbot status*"];
  for (const site of report.sites) {
    const state = site.reachable
      ? site.ready
        ? ":large_green_circle: healthy"
        : ":large_yellow_circle: no Ready node"
      : ":red_circle: down";
    lines.push(
      `• *${site.site}* (${site.role}): ${state}${site.reachable ? `, ${site.readyNodes}/${site.nodes.length} nodes Ready, ${site.version ?? ""}` : `: ${escapeMrkdwn(site.error?.message ?? "")}`}`,
    );
  }
  lines.push("*RPO per tier*");
  for (const t of report.rpo)
    lines.push(
      `• ${t.tier}: ${t.unprotected ? "no data source" : Number.isFinite(t.effectiveMs) ? formatMs(t.effectiveMs) : "unknown"} of ${formatMs(t.targetMs)}${t.withinTarget || t.unprotected ? "" : " :warning:"}${t.unknown.length ? ` (unknown: ${escapeMrkdwn(t.unknown.join(", "))})` : ""}`,
    );
  if (report.placement) lines.push(`*drbot runs in*: ${describePlacement(report.placement)}`);
  lines.push(`*Active runs*: ${report.activeRuns.length || "none"}`);
  for (const r of report.activeRuns)
    lines.push(
      `• \`${r.id}\` ${r.state.replace(/_/g, " ")}: ${r.scope.applications.join(", ")} by <@${r.requestedBy}>`,
    );
  for (const w of report.warnings) lines.push(`:warning: ${escapeMrkdwn(w)}`);
  return lines.join("\n");
}
