import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The layer rules in biome.json, checked by running Biome with the repository's configuration on
 * small files placed where the rules apply: each import either passes or is refused with its rule's
 * message. `npm run lint` applies the same rules to src/.
 */
const FIXTURES: Record<string, string[]> = {
  "src/domain/fixture.ts": [
    'import { z } from "zod";',
    'import type { RunRecord } from "./run.js";',
    'import type { SitePort } from "../ports/site.js";',
    'import { execa } from "execa";',
  ],
  "src/slack/views/fixture.ts": [
    'import { gateApprovals } from "../../domain/approval-gate.js";',
    'import { approvalGateStep } from "../../engine/step-kinds/approval-gate.js";',
    'import type { DrService } from "../../app/dr-service.js";',
  ],
  "src/adapters/metrics/fixture.ts": [
    'import { Gauge } from "prom-client";',
    'import type { StatusReport } from "../../domain/status-report.js";',
    'import type { DrService } from "../../app/dr-service.js";',
  ],
  "src/cli/fixture.ts": ['import type { DrService } from "../app/dr-service.js";', 'import pg from "pg";'],
  "src/engine/fixture.ts": ['import Redis from "ioredis";', 'import { WebSocketServer } from "ws";'],
  "src/emulator/fixture.ts": ['import { WebSocketServer } from "ws";'],
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "drbot-import-rules-"));
  await copyFile(resolve("biome.json"), join(dir, "biome.json"));
  for (const [file, lines] of Object.entries(FIXTURES)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), `${lines.join("\n")}\nexport const used = 1;\n`);
  }
});

afterAll(() => rm(dir, { recursive: true, force: true }));

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string; start: { line: number } };
}

function refusedImports(): string[] {
  const biome = spawnSync(resolve("node_modules/.bin/biome"), ["lint", "--reporter=json", "src"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  const report = JSON.parse(biome.stdout) as { diagnostics: Diagnostic[] };
  return report.diagnostics
    .filter((d) => d.category === "lint/style/noRestrictedImports")
    .map((d) => {
      const line = FIXTURES[d.location.path]![d.location.start.line - 1];
      return `${d.location.path}: ${line} → ${d.message.split(";")[0]}`;
    })
    .sort();
}

describe("the import rules", () => {
  it("refuse imports that point the wrong way between layers, and allow the rest", () => {
    expect(refusedImports()).toEqual([
      'src/adapters/metrics/fixture.ts: import type { DrService } from "../../app/dr-service.js"; → Adapters implement ports',
      'src/cli/fixture.ts: import pg from "pg"; → PostgreSQL, Prometheus and WebSocket libraries are used in src/adapters only (the Slack emulator, a development server, excepted)',
      'src/domain/fixture.ts: import type { SitePort } from "../ports/site.js"; → src/domain imports nothing outside src/domain: define the type here (ports and adapters import the domain, never the other way round).',
      'src/domain/fixture.ts: import { execa } from "execa"; → Domain, engine, ports and use cases stay free of infrastructure libraries',
      'src/engine/fixture.ts: import Redis from "ioredis"; → Domain, engine, ports and use cases stay free of infrastructure libraries',
      'src/engine/fixture.ts: import { WebSocketServer } from "ws"; → PostgreSQL, Prometheus and WebSocket libraries are used in src/adapters only (the Slack emulator, a development server, excepted)',
      'src/slack/views/fixture.ts: import type { DrService } from "../../app/dr-service.js"; → Slack views render domain data only',
      'src/slack/views/fixture.ts: import { approvalGateStep } from "../../engine/step-kinds/approval-gate.js"; → Slack views render domain data only',
    ]);
  });
});
