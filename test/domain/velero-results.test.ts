import { describe, expect, it } from "vitest";
import type { RestoreResults } from "../../src/domain/velero.js";
import {
  describeFailures,
  judgeWarnings,
  listMessages,
  messageLines,
} from "../../src/domain/velero-results.js";

const kept = (kind: string, name: string) =>
  `could not restore, ${kind} "${name}" already exists. Warning: the in-cluster version is different than the backed-up version`;
const KEPT =
  /could not restore, \w+ "[^"]+" already exists\. Warning: the in-cluster version is different than the backed-up version$/;

const results: RestoreResults = {
  errors: {
    velero: [],
    cluster: [],
    namespaces: {
      production: ['error restoring configmaps/production/app-config: configmaps "app-config" is forbidden'],
    },
  },
  warnings: {
    velero: ["zero items to be restored"],
    cluster: [],
    namespaces: {
      staging: [kept("ConfigMap", "kube-root-ca.crt")],
      production: [
        kept("Deployment", "payments-api"),
        'could not patch Service "payments": field is immutable',
      ],
    },
  },
};

describe("Velero's restore messages", () => {
  it("are listed one per line, saying where each applies, namespaces in order", () => {
    expect(messageLines(results.warnings)).toEqual([
      "velero: zero items to be restored",
      `namespace/production: ${kept("Deployment", "payments-api")}`,
      'namespace/production: could not patch Service "payments": field is immutable',
      `namespace/staging: ${kept("ConfigMap", "kube-root-ca.crt")}`,
    ]);
  });

  it("are failures unless a pattern of the runbook accepts them", () => {
    expect(judgeWarnings(results, [KEPT])).toEqual({
      accepted: [
        `namespace/production: ${kept("Deployment", "payments-api")}`,
        `namespace/staging: ${kept("ConfigMap", "kube-root-ca.crt")}`,
      ],
      unaccepted: [
        "velero: zero items to be restored",
        'namespace/production: could not patch Service "payments": field is immutable',
      ],
    });
    expect(judgeWarnings(results, []).accepted).toEqual([]);
  });

  it("are described errors first, then the warnings not accepted", () => {
    const text = describeFailures(results, judgeWarnings(results, [KEPT]).unaccepted);
    expect(text).toBe(
      [
        "Velero's errors:",
        'namespace/production: error restoring configmaps/production/app-config: configmaps "app-config" is forbidden',
        "Velero's warnings:",
        "velero: zero items to be restored",
        'namespace/production: could not patch Service "payments": field is immutable',
      ].join("\n"),
    );
  });

  it("are shown a few at a time, each clipped, with how many more there are", () => {
    const lines = Array.from({ length: 9 }, (_, i) => `line ${i} ${"x".repeat(300)}`);
    const text = listMessages(lines, 3, 20).split("\n");
    expect(text).toHaveLength(4);
    expect(text[0]).toBe(`line 0 ${"x".repeat(12)}…`);
    expect(text[3]).toBe("… and 6 more");
  });
});
