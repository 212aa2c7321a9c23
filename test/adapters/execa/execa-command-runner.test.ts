import { describe, expect, it } from "vitest";
import { ExecaCommandRunner } from "../../../src/adapters/execa/execa-command-runner.js";

const drbotEnvironment = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/home/drbot",
  LANG: "C.UTF-8",
  HTTPS_PROXY: "http://proxy.internal:3128",
  SLACK_BOT_TOKEN: "xoxb-1-not-for-children",
  REDIS_PASSWORD: "redis-secret",
  PG_DC1_PASSWORD: "pg-secret",
  AWS_PROFILE: "dns-operator",
  KUBECONFIG: "/etc/drbot/kube/kubeconfig",
};

const runner = new ExecaCommandRunner({
  environment: drbotEnvironment,
  withheld: ["SLACK_BOT_TOKEN", "REDIS_PASSWORD", "PG_DC1_PASSWORD"],
});

describe("a child process's environment", () => {
  it("is the allow-list alone when the step names nothing: no token, no password, nothing else", () => {
    expect(runner.environmentFor({})).toEqual({
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/home/drbot",
      LANG: "C.UTF-8",
      HTTPS_PROXY: "http://proxy.internal:3128",
    });
  });

  it("adds the variables the step names, and the values it writes", () => {
    expect(
      runner.environmentFor({ passEnv: ["AWS_PROFILE", "NOT_SET"], env: { REGION: "eu-west-1" } }),
    ).toEqual({
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/home/drbot",
      LANG: "C.UTF-8",
      HTTPS_PROXY: "http://proxy.internal:3128",
      AWS_PROFILE: "dns-operator",
      REGION: "eu-west-1",
    });
  });

  it("refuses to pass on one of drbot's own secrets, naming it", () => {
    for (const name of ["SLACK_BOT_TOKEN", "REDIS_PASSWORD", "PG_DC1_PASSWORD"])
      expect(() => runner.environmentFor({ passEnv: [name] })).toThrow(
        expect.objectContaining({
          code: "invalid_input",
          message: `${name} is one of drbot's own secrets and is never given to a program; give the program a credential of its own`,
        }),
      );
  });
});
