import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { waitFor } from "./wait-for.js";

/**
 * Real SSH key pairs and signatures, made by Debian's openssh-client (ssh-keygen, ssh-agent,
 * ssh-add), for tests of what drbot verifies: never keys or signatures drbot made itself.
 */

export type KeyType = "ed25519" | "ecdsa-256" | "ecdsa-384" | "ecdsa-521" | "rsa";

export interface KeyPair {
  /** The private key file (unencrypted). */
  privatePath: string;
  publicPath: string;
  /** The authorized_keys line, as the configuration takes it. */
  publicLine: string;
  /** As `ssh-keygen -l` prints it. */
  fingerprint: string;
}

const TYPE_ARGS: Record<KeyType, string[]> = {
  ed25519: ["-t", "ed25519"],
  "ecdsa-256": ["-t", "ecdsa", "-b", "256"],
  "ecdsa-384": ["-t", "ecdsa", "-b", "384"],
  "ecdsa-521": ["-t", "ecdsa", "-b", "521"],
  rsa: ["-t", "rsa", "-b", "2048"],
};

/** A directory for keys, removed by `cleanup`. */
export async function keyDirectory(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-ssh-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function makeKeyPair(dir: string, name: string, type: KeyType = "ed25519"): Promise<KeyPair> {
  const privatePath = join(dir, name);
  await execa("ssh-keygen", ["-q", ...TYPE_ARGS[type], "-N", "", "-C", `${name}@test`, "-f", privatePath], {
    timeout: 30_000,
  });
  const publicLine = (await readFile(`${privatePath}.pub`, "utf8")).trim();
  const listed = await execa("ssh-keygen", ["-l", "-f", `${privatePath}.pub`], { timeout: 10_000 });
  const fingerprint = listed.stdout.split(/\s+/)[1] ?? "";
  return { privatePath, publicPath: `${privatePath}.pub`, publicLine, fingerprint };
}

/** `ssh-keygen -Y sign -n NAMESPACE -f KEY` over `message` on standard input: the armored signature. */
export async function sshSign(
  keyPath: string,
  message: string,
  options: { namespace?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await execa(
    "ssh-keygen",
    ["-Y", "sign", "-n", options.namespace ?? "drbot", "-f", keyPath],
    {
      input: message,
      timeout: 30_000,
      ...(options.env ? { env: options.env, extendEnv: false } : {}),
    },
  );
  return result.stdout;
}

/** An ssh-agent on a socket in `dir`, holding nothing until `add`. */
export async function startSshAgent(dir: string): Promise<{
  socket: string;
  add(privatePath: string): Promise<void>;
  stop(): Promise<void>;
}> {
  const socket = join(dir, "agent.sock");
  const agent: ResultPromise = execa("ssh-agent", ["-D", "-a", socket], { reject: false });
  // ssh-add -l exits 1 once the agent answers and holds no key, 2 while nothing listens yet.
  await waitFor(
    async () => {
      const probe = await execa("ssh-add", ["-l"], {
        env: { SSH_AUTH_SOCK: socket },
        reject: false,
        timeout: 5_000,
      });
      return probe.exitCode === 0 || probe.exitCode === 1;
    },
    { timeoutMs: 10_000, intervalMs: 50, description: `ssh-agent answering on ${socket}` },
  );
  return {
    socket,
    async add(privatePath) {
      await execa("ssh-add", ["-q", privatePath], { env: { SSH_AUTH_SOCK: socket }, timeout: 10_000 });
    },
    async stop() {
      agent.kill();
      await agent;
    },
  };
}
