import type { RestoreResults, VeleroMessages } from "./velero.js";

/**
 * Velero's own errors and warnings for a restore, judged and worded for the run's progress message.
 * Warnings are failures unless the runbook accepts them by pattern (a restore that kept a site's
 * own copy of an object, for example, is a warning the failover expects): a warning nobody foresaw
 * pauses the run with its text, for a person to read before traffic moves.
 */
export interface JudgedWarnings {
  accepted: string[];
  unaccepted: string[];
}

/** One line per message, saying where it applies: "velero: …", "cluster: …", "namespace/ns: …". */
export function messageLines(messages: VeleroMessages): string[] {
  return [
    ...messages.velero.map((m) => `velero: ${m}`),
    ...messages.cluster.map((m) => `cluster: ${m}`),
    ...Object.entries(messages.namespaces)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([ns, list]) => list.map((m) => `namespace/${ns}: ${m}`)),
  ];
}

export function judgeWarnings(results: RestoreResults, accept: readonly RegExp[]): JudgedWarnings {
  const lines = messageLines(results.warnings);
  const accepted = lines.filter((line) => accept.some((pattern) => pattern.test(line)));
  return { accepted, unaccepted: lines.filter((line) => !accepted.includes(line)) };
}

/**
 * At most `max` lines of a list, each clipped, with how many were left out: the progress message
 * has room for a few hundred characters, the step's output for more.
 */
export function listMessages(lines: readonly string[], max: number, width = 240): string {
  const shown = lines.slice(0, max).map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
  const more = lines.length - shown.length;
  return [...shown, ...(more > 0 ? [`… and ${more} more`] : [])].join("\n");
}

/** Velero's errors first, then the warnings not accepted: what the progress message shows. */
export function describeFailures(results: RestoreResults, unaccepted: readonly string[], max = 6): string {
  const errors = messageLines(results.errors);
  return [
    errors.length ? `Velero's errors:\n${listMessages(errors, max)}` : "",
    unaccepted.length ? `Velero's warnings:\n${listMessages(unaccepted, max)}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}
