import { describe, expect, it } from "vitest";
import { closestNames, editDistance } from "../../commands/closest-command.js";

const SLACK = [
  "help",
  "status",
  "failover",
  "failback",
  "drill",
  "runs",
  "show",
  "report",
  "abort",
  "resume",
  "skip",
];

describe("closestNames", () => {
  it("finds the command a typo meant: a letter dropped, added, changed or two swapped", () => {
    expect(closestNames("falover", SLACK)).toEqual(["failover"]);
    expect(closestNames("faillover", SLACK)).toEqual(["failover"]);
    expect(closestNames("failbakc", SLACK)).toEqual(["failback"]);
    expect(closestNames("shwo", SLACK)).toEqual(["show"]);
    expect(closestNames("STAUTS", SLACK)).toEqual(["status"]);
    expect(closestNames("drll", SLACK)).toEqual(["drill"]);
  });

  it("takes a word that starts one name only as that name, and offers every name a word starts", () => {
    expect(closestNames("stat", SLACK)).toEqual(["status"]);
    expect(closestNames("rep", SLACK)).toEqual(["report"]);
    expect(closestNames("fail", SLACK)).toEqual(["failover", "failback"]);
  });

  it("suggests nothing when no name is close, rather than a guess", () => {
    expect(closestNames("frobnicate", SLACK)).toEqual([]);
    expect(closestNames("x", SLACK)).toEqual([]);
    expect(closestNames("", SLACK)).toEqual([]);
    expect(closestNames("restore", SLACK)).toEqual([]);
  });
});

describe("editDistance", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});
