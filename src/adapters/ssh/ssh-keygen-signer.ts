import { DrError } from "../../domain/errors.js";
import { SSHSIG_NAMESPACE } from "../../domain/evidence/sshsig.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { Signer } from "../../ports/evidence.js";

/** Signing asks nothing of the person (a key without a passphrase, or an agent): it answers quickly. */
const SIGN_TIMEOUT_MS = 30_000;

/**
 * Signs with the person's own SSH key through OpenSSH: `ssh-keygen -Y sign -n drbot -f KEY`, the
 * message on standard input, the armored SSHSIG signature on standard output. KEY is a private key
 * file, or a public key whose private half an ssh-agent holds (SSH_AUTH_SOCK is passed on for that,
 * nothing else of drbot's environment). drbot never reads the private key itself.
 */
export class SshKeygenSigner implements Signer {
  constructor(
    private readonly commands: CommandRunner,
    private readonly keyPath: string,
  ) {}

  async sign(message: string): Promise<string> {
    const result = await this.commands.run(
      "ssh-keygen",
      ["-Y", "sign", "-n", SSHSIG_NAMESPACE, "-f", this.keyPath],
      { timeoutMs: SIGN_TIMEOUT_MS, input: message, passEnv: ["SSH_AUTH_SOCK"] },
    );
    if (result.timedOut)
      throw new DrError(
        "unproven",
        `ssh-keygen did not sign within ${SIGN_TIMEOUT_MS / 1000} s (a key with a passphrase needs an ssh-agent: ssh-add it, then --key KEY.pub)`,
      );
    const signature = result.stdout.trim();
    if (result.exitCode !== 0 || !signature.startsWith("-----BEGIN SSH SIGNATURE-----"))
      throw new DrError(
        "unproven",
        `ssh-keygen could not sign with ${this.keyPath}: ${lastLine(result.stderr) || `exit ${result.exitCode}`}`,
      );
    return signature;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.slice(0, 300) ?? "";
}
