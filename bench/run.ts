import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchResult, Figure } from "./bench-kit.js";

/**
 * `npm run bench` runs every benchmark in bench/*.bench.ts; `npm run bench -- NAME` runs one. Each
 * prints its figures with their targets and writes them as JSON to bench/results/NAME.json.
 */
function meets(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  const { op, value } = f.target;
  return op === "<"
    ? f.value < value
    : op === "<="
      ? f.value <= value
      : op === ">"
        ? f.value > value
        : f.value >= value;
}

async function main(): Promise<void> {
  const dir = new URL(".", import.meta.url).pathname;
  const wanted = process.argv.slice(2);
  const all = (await readdir(dir))
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.replace(/\.bench\.ts$/, ""));
  const names = wanted.length > 0 ? wanted : all;
  let failed = false;
  for (const name of names) {
    if (!all.includes(name)) {
      console.error(`no benchmark "${name}"; available: ${all.join(", ")}`);
      process.exitCode = 2;
      return;
    }
    const module = (await import(pathToFileURL(join(dir, `${name}.bench.ts`)).href)) as {
      run: () => Promise<BenchResult>;
    };
    console.log(`\n== ${name} ==`);
    const result = await module.run();
    for (const f of result.figures) {
      const ok = meets(f);
      const target = f.target
        ? `  target ${f.target.op} ${f.target.value} ${f.unit}  ${ok ? "MET" : "MISSED"}`
        : "";
      if (ok === false) failed = true;
      console.log(`  ${f.name.padEnd(44)} ${String(round(f.value)).padStart(12)} ${f.unit}${target}`);
    }
    for (const note of result.notes ?? []) console.log(`  note: ${note}`);
    await mkdir(join(dir, "results"), { recursive: true });
    await writeFile(
      join(dir, "results", `${name}.json`),
      `${JSON.stringify({ ...result, at: new Date().toISOString() }, null, 2)}\n`,
    );
  }
  if (failed) console.log("\nsome targets were missed");
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
