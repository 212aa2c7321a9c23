import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunReportFiles } from "../app/report/run-reports.js";

/** `drbot report RUN --out DIR`: the three renderings side by side, named after the run. */
export async function writeReportFiles(files: RunReportFiles, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const id = files.report.run.id;
  const written: Array<[string, string]> = [
    [join(dir, `${id}-report.md`), files.markdown],
    [join(dir, `${id}-report.json`), files.json],
    [join(dir, `${id}-timeline.svg`), files.svg],
  ];
  for (const [path, content] of written) await writeFile(path, content);
  return written.map(([path]) => path);
}
