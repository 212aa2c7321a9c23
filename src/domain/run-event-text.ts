import type { RunEvent } from "./run.js";

/** One line per audit event, in words. */
export function describeEvent(e: RunEvent): string {
  const d = e.data;
  const str = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
  switch (e.type) {
    case "run.requested":
      return `requested ${str(d.runbook)}${d.reason ? `: ${str(d.reason)}` : ""} (plan ${str(d.planHash)}, ${str(d.required)} approval(s) needed)`;
    case "run.approval":
      return `approval recorded (${str(d.approvals)}/${str(d.required)})${d.acceptedDataLoss ? ", accepting the data loss" : ""}${d.acceptedNotReady ? ", accepting that the scope is not ready" : ""}, run ${str(d.state).replace(/_/g, " ")}`;
    case "run.refusal":
      return `refused (${str(d.code)}): ${str(d.message)}`;
    case "run.state":
      return `run ${d.from ? `${str(d.from).replace(/_/g, " ")} → ` : ""}${str(d.state).replace(/_/g, " ")}${d.reason ? ` (${str(d.reason)})` : ""}`;
    case "run.takeover":
      return `run taken over by ${str(d.owner)}${d.from ? ` (${str(d.from).replace(/_/g, " ")} → interrupted)` : ""}${d.reason ? `: ${str(d.reason)}` : ""}`;
    case "step.state":
      return `${e.stepId ?? "step"} ${str(d.status).replace(/_/g, " ")}${d.attempt ? ` (attempt ${str(d.attempt)})` : ""}${d.outcome !== undefined ? `, decided ${str(d.outcome)}` : ""}${d.error ? `: ${str(d.error)}` : ""}`;
    case "step.observed":
      return `${e.stepId ?? "step"} observed after takeover: ${str(d.status).replace(/_/g, " ")}${d.evidence ? ` (${str(d.evidence)})` : ""}`;
    case "step.undo":
      return `${e.stepId ?? "step"} undo (${str(d.kind)}): ${str(d.undo).replace(/_/g, " ")}${d.evidence ? ` (${str(d.evidence)})` : ""}${d.error ? `: ${str(d.error)}` : ""}`;
    case "step.attestation":
      return `ticked "${str(d.item)}" on ${e.stepId ?? "a step"}`;
    case "step.output":
      return `${e.stepId ?? "step"} output`;
    case "run.note": {
      const text = JSON.stringify(d);
      return `note ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`;
    }
  }
}
