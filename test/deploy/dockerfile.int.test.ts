import { cp, mkdtemp, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * No Docker engine runs here, so the image is checked by what it is made of: the Dockerfile's
 * stages and rules, and a build of the build stage's inputs in a clean directory (without what
 * .dockerignore leaves out of the context, as `docker build` does), after which every path the
 * runtime stage copies exists, the entry point answers `drbot --version`, and neither the Slack
 * emulator nor the demo is in it.
 */
interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, " ");
  const stages: Stage[] = [];
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [op = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const [from = "", as, name] = rest;
      stages.push({ from, ...(as?.toUpperCase() === "AS" && name ? { name } : {}), instructions: [] });
    } else stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** COPY sources of a stage: [sources…, destination], flags (--from=…, --chown=…) apart. */
function copies(stage: Stage): Array<{ from?: string; sources: string[] }> {
  return stage.instructions
    .filter((i) => i.op === "COPY")
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
      const paths = words.filter((w) => !w.startsWith("--"));
      return { ...(from ? { from } : {}), sources: paths.slice(0, -1) };
    });
}

const stages = parseDockerfile(await readFile("Dockerfile", "utf8"));
/** .dockerignore's patterns: plain paths and names here (no wildcards but `*.ext`). */
const ignored = (await readFile(".dockerignore", "utf8"))
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const inContext = (path: string) =>
  !ignored.some((p) =>
    p.startsWith("*.") ? path.endsWith(p.slice(1)) : path === p || path.startsWith(`${p}/`),
  );
const build = stages[0]!;
const runtime = stages.at(-1)!;
let dir: string;

beforeAll(async () => {
  // The build stage's context, in a clean directory: only what the Dockerfile copies into it.
  dir = await mkdtemp(join(tmpdir(), "drbot-image-"));
  for (const { sources } of copies(build))
    for (const source of sources)
      await cp(source, join(dir, source), {
        recursive: true,
        filter: (from) => inContext(relative(".", from)),
      });
  await symlink(join(process.cwd(), "node_modules"), join(dir, "node_modules"), "dir");
  // What the build stage runs after copying those.
  await execa("npm", ["run", "build"], { cwd: dir, timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the container image", () => {
  it("is multi-stage on Node 24 slim, runs as a non-root user with production dependencies and a health check", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^node:24(\.\d+)*-slim$/);
    const run = runtime.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
    expect(run.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    const user = runtime.instructions.filter((i) => i.op === "USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    const healthcheck = runtime.instructions.find((i) => i.op === "HEALTHCHECK")?.args ?? "";
    expect(healthcheck).toContain("/healthz");
    expect(healthcheck).toMatch(/--timeout=\d+s/);
    const shipped = copies(runtime).flatMap((c) => c.sources);
    expect(shipped).toEqual(expect.arrayContaining(["runbooks", "drbot.example.yaml"]));
  });

  it("copies only paths that exist: the build stage's inputs, and after the build its output", async () => {
    for (const { from, sources } of copies(runtime))
      for (const source of sources) {
        const where = from === build.name ? join(dir, source.replace(/^\/app\//, "")) : source;
        await expect(stat(where).then(() => where)).resolves.toBe(where);
      }
  });

  it("leaves the Slack emulator and the demo out: development code, in neither the context nor the build", async () => {
    expect(inContext("src/emulator/slack-emulator.ts")).toBe(false);
    expect(inContext("src/demo/main.ts")).toBe(false);
    const built = await readdir(join(dir, "dist", "src"));
    expect(built).toContain("cli");
    expect(built).not.toContain("emulator");
    expect(built).not.toContain("demo");
  });

  it("starts the compiled entry point: drbot --version", async () => {
    const entry = runtime.instructions.find((i) => i.op === "ENTRYPOINT")!.args;
    const [, script] = JSON.parse(entry) as [string, string];
    const { stdout } = await execa(process.execPath, [script, "--version"], { cwd: dir, timeout: 30_000 });
    const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    expect(stdout.trim()).toBe(`drbot ${version}`);
  });
});
