import type { DrService } from "../../src/app/dr-service.js";
import type { Config } from "../../src/domain/config.js";
import { type TestSigner, testSigner } from "./proofs.js";

/**
 * The people of the tests, each with an SSH key of their own (made in-process, SSHSIG as ssh-keygen
 * writes it), registered in the configuration's approvals.keys.
 */
export const TEST_PEOPLE = [
  "U0A1",
  "U0A2",
  "U0A3",
  "U0A",
  "U0B",
  "U0X",
  "U0ONCALL",
  "U0ONCALL1",
  "U0ONCALL2",
  "U0ALICE",
  "U0BOB",
  "U0STRANGER",
  "U0APPROVER1",
  "U0APPROVER2",
  "U0GROUPIE",
  "U0RANDOM",
  "U0NOBODY",
  "U0OTHER",
  "U0BOSS",
  ...Array.from({ length: 20 }, (_, i) => `U0APP${String(i).padStart(2, "0")}`),
];

let signers: Map<string, TestSigner> | undefined;

/** One key pair per test person, made once per test file. */
export function testSigners(): ReadonlyMap<string, TestSigner> {
  signers ??= new Map(TEST_PEOPLE.map((id) => [id, testSigner(id)]));
  return signers;
}

/** `config` with every test person's public key registered (kept: keys the test registered itself). */
export function withTestKeys(config: Config): Config {
  const keys = Object.fromEntries([...testSigners()].map(([id, s]) => [id, [s.publicLine]]));
  return { ...config, approvals: { ...config.approvals, keys: { ...keys, ...config.approvals.keys } } };
}

const SIGNED = new Set(["request", "approve", "reject", "abort", "pause", "resume", "skip", "tick"]);

/**
 * The service as each test person uses it from the CLI: every action they take is signed with their
 * own key, unless the test gives a witness of its own (or `witness: undefined` to send none). The
 * service verifies each signature as in production; nothing here skips a check.
 */
export function provenService(service: DrService): DrService {
  return new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string" || !SIGNED.has(property))
        return typeof value === "function" ? value.bind(target) : value;
      return (input: { actor: string; witness?: unknown }) => {
        const signer = testSigners().get(input.actor);
        const signed =
          "witness" in input || !signer
            ? input
            : { ...input, witness: { sign: async (m: string) => signer.sign(m) } };
        return (value as (i: unknown) => unknown).call(target, signed);
      };
    },
  });
}
