import { describe, expect, it } from "vitest";
import {
  describeWeights,
  differences,
  recordsOfScope,
  recordsOutsideScope,
  selectRecords,
  weightsForActiveSite,
} from "../../src/domain/dns-weights.js";

const records = [
  { name: "app.example.com", applications: ["portal", "reporting"], weights: { dc1: 100, dc2: 0 } },
  { name: "api.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } },
];

describe("DNS weights", () => {
  it("sends all traffic to the active site: DC1 100 / DC2 0 becomes DC1 0 / DC2 100", () => {
    expect(weightsForActiveSite(records, "dc2")).toEqual({
      "app.example.com": { dc1: 0, dc2: 100 },
      "api.example.com": { dc1: 0, dc2: 100 },
    });
    expect(weightsForActiveSite(records, "dc1")["app.example.com"]).toEqual({ dc1: 100, dc2: 0 });
  });

  it("refuses a site a record has no weight for", () => {
    expect(() => weightsForActiveSite(records, "dc3")).toThrow(
      "DNS records app.example.com, api.example.com have no weight for site dc3",
    );
  });

  it("selects named records compared like DNS names", () => {
    expect(selectRecords(records, ["API.example.com."]).map((r) => r.name)).toEqual(["api.example.com"]);
    expect(selectRecords(records, [])).toEqual([]);
  });

  it("gives a scope the records whose every application is in it, and names who else is behind the others", () => {
    expect(recordsOfScope(records, ["payments", "reporting"]).map((r) => r.name)).toEqual([
      "api.example.com",
    ]);
    expect(recordsOfScope(records, ["portal", "reporting"]).map((r) => r.name)).toEqual(["app.example.com"]);
    expect(recordsOutsideScope(records, ["payments", "reporting"])).toEqual(
      [
        { record: "app.example.com", applications: ["portal"] },
        { record: "api.example.com", applications: [] },
      ].filter((r) => r.applications.length > 0),
    );
  });

  it("refuses unknown records and an empty configuration", () => {
    expect(() => selectRecords(records, ["www.example.com"])).toThrow(
      "unknown DNS record www.example.com; configured: app.example.com, api.example.com",
    );
    expect(() => selectRecords([], ["app.example.com"])).toThrow("no DNS records are configured");
  });

  it("lists every weight that differs or is missing, ignoring case and the trailing dot", () => {
    const desired = { "app.example.com": { dc1: 0, dc2: 100 } };
    expect(differences(desired, { "APP.example.com.": { dc1: 0, dc2: 100 } })).toEqual([]);
    expect(differences(desired, { "app.example.com": { dc1: 100 } })).toEqual([
      { record: "app.example.com", site: "dc1", expected: 0, actual: 100 },
      { record: "app.example.com", site: "dc2", expected: 100, actual: undefined },
    ]);
  });

  it("describes weights in one line with sites in order", () => {
    expect(describeWeights({ "app.example.com": { dc2: 100, dc1: 0 } })).toBe(
      "app.example.com: dc1 0, dc2 100",
    );
    expect(describeWeights({})).toBe("no records");
  });
});
