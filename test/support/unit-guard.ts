import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

/**
 * Set up before every unit test file: unit tests start nothing. Spawning a process or listening on
 * a socket (loopback included) fails with the rule, so a test that needs a real server is named
 * `*.int.test.ts` (or `.k8s.`, `.browser.`) and runs in its own tier.
 */
function refuse(what: string): never {
  throw new Error(
    `unit tests start no ${what}; a test that needs one is an integration test: name it *.int.test.ts`,
  );
}

for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const)
  Object.assign(childProcess, { [name]: () => refuse(`process (child_process.${name})`) });
net.Server.prototype.listen = () => refuse("server (net.Server.listen)");
syncBuiltinESMExports();
