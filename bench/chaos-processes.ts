import { readdir, readFile } from "node:fs/promises";

/**
 * Processes the chaos benchmark started that still run, read from /proc: an executor (its command
 * line names the benchmark's directory) or a Redis server or Sentinel on one of its ports (they
 * name themselves `redis-server 127.0.0.1:PORT`). A process that has exited and awaits its parent
 * (a zombie) is not running and is not counted.
 */
export async function processesLeft(dir: string, ports: readonly number[]): Promise<string[]> {
  const left: string[] = [];
  const addresses = ports.map((p) => `127.0.0.1:${p}`);
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined),
      readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => undefined),
    ]);
    if (stat === undefined || cmdline === undefined) continue; // exited while we looked
    if (stat.charAt(stat.lastIndexOf(")") + 2) === "Z") continue;
    const command = cmdline.replaceAll("\0", " ").trim();
    const ours =
      command.includes(dir) ||
      (/redis-(server|sentinel)/.test(command) && addresses.some((a) => command.split(" ").includes(a)));
    if (ours) left.push(`${entry} ${command.slice(0, 120)}`);
  }
  return left;
}
