import { describe, expect, it } from "vitest";
import { Actors } from "../../src/app/actors.js";
import { silentLogger } from "../../src/ports/logger.js";
import { testConfig } from "../support/config-fixture.js";

/** A directory that records what it was asked and answers from a fixed table. */
function recordingDirectory(members: Record<string, string[]>) {
  const asked: { userId: string; among: readonly string[] | undefined }[] = [];
  return {
    asked,
    async groupsOf(userId: string, among?: readonly string[]) {
      asked.push({ userId, among });
      return (among ?? Object.keys(members)).filter((g) => members[g]?.includes(userId));
    },
  };
}

const config = testConfig({
  slack: {
    incidentChannels: ["C0INCIDENT"],
    permissions: {
      failover: {
        requesters: { users: ["U0ONCALL"], groups: ["S0ONCALL"] },
        approvers: { users: ["U0A1"], groups: ["S0CMD"] },
      },
    },
  },
});

describe("who a person is for a run", () => {
  it("decides people listed by ID without asking the directory", async () => {
    const directory = recordingDirectory({ S0CMD: ["U0GROUPIE"] });
    const actors = new Actors(config, directory, silentLogger);
    expect(await actors.of("U0A1", "failover", { role: "approver" })).toMatchObject({ approver: true });
    expect(await actors.of("U0ONCALL", "failover", { role: "requester" })).toMatchObject({ requester: true });
    expect(directory.asked).toEqual([]);
  });

  it("looks up only the groups of the role the caller needs", async () => {
    const directory = recordingDirectory({ S0CMD: ["U0GROUPIE"], S0ONCALL: ["U0GROUPIE"] });
    const actors = new Actors(config, directory, silentLogger);
    expect(await actors.of("U0GROUPIE", "failover", { role: "approver" })).toMatchObject({
      approver: true,
      requester: false,
    });
    expect(directory.asked).toEqual([{ userId: "U0GROUPIE", among: ["S0CMD"] }]);
    expect(await actors.of("U0GROUPIE", "failover")).toMatchObject({ approver: true, requester: true });
    expect(directory.asked.at(-1)).toEqual({ userId: "U0GROUPIE", among: ["S0ONCALL", "S0CMD"] });
  });

  it("counts a person in no group when the directory fails", async () => {
    const actors = new Actors(
      config,
      {
        groupsOf: async () => {
          throw new Error("Slack is down");
        },
      },
      silentLogger,
    );
    expect(await actors.of("U0GROUPIE", "failover", { role: "approver" })).toMatchObject({ approver: false });
  });
});
