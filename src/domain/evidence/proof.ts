import type { KeyRing } from "./key-ring.js";
import { parseClaim, type SignedClaim } from "./signed-claim.js";
import { readSignedSlackRequest, type SignedSlackRequest, type SlackStatement } from "./slack-request.js";
import { verifySshSignature } from "./sshsig.js";

/**
 * The proof kept with a request or an approval: who acted, checkable again later without trusting
 * where it was kept.
 *
 * - `slack`: the request Slack signed, checked with the app's signing secret (which Redis never holds);
 * - `ssh`: the text the person signed with their own SSH key (src/domain/evidence/signed-claim.ts) and
 *   the signature, checked with the public keys in the configuration;
 * - `socket-mode`: what Slack said over a Socket Mode connection. Slack signs nothing there, so this
 *   proves nothing by itself; it counts only while the configuration says `approvals.trustSocketMode`,
 *   and the run records that it relied on it.
 */
export type Proof =
  | { via: "slack"; request: SignedSlackRequest }
  | { via: "ssh"; message: string; signature: string }
  | { via: "socket-mode"; statement: SlackStatement };

/** What reading a proof takes: the secret, the keys, and whether unsigned Socket Mode is trusted. */
export interface ProofKeys {
  /** Absent in a process that has no signing secret (a CLI without SLACK_SIGNING_SECRET). */
  signingSecret?: string;
  keys: KeyRing;
  trustSocketMode: boolean;
}

/** What a proof says once checked: a signed claim (CLI), or a Slack command or click. */
export type Said = { kind: "claim"; claim: SignedClaim } | SlackStatement;

export type ProofReading =
  | { ok: true; userId: string; via: Proof["via"]; at: number; fingerprint?: string; said: Said }
  | {
      ok: false;
      /**
       * invalid: the proof is forged, altered or malformed; unverifiable: this process lacks what
       * checking it takes (the signing secret); untrusted: unsigned Socket Mode, not trusted now.
       */
      problem: "invalid" | "unverifiable" | "untrusted";
      reason: string;
      /** Who the proof claims to be from, and the key that signed it, for the audit trail. */
      claimedUser?: string;
      fingerprint?: string;
    };

/** Checks a proof and reads who it is from and what they did. Never throws. */
export function readProof(proof: Proof, keys: ProofKeys): ProofReading {
  switch (proof.via) {
    case "slack": {
      if (!keys.signingSecret)
        return {
          ok: false,
          problem: "unverifiable",
          reason:
            "it was signed by Slack, and this process has no signing secret to check it (SLACK_SIGNING_SECRET)",
        };
      const checked = readSignedSlackRequest(proof.request, keys.signingSecret);
      if (!checked.ok) return { ok: false, problem: "invalid", reason: checked.reason };
      const said = checked.statement;
      return { ok: true, userId: said.userId, via: "slack", at: said.at, said };
    }
    case "socket-mode":
      if (!keys.trustSocketMode)
        return {
          ok: false,
          problem: "untrusted",
          claimedUser: proof.statement.userId,
          reason: "it came over Socket Mode, which Slack does not sign, and approvals.trustSocketMode is off",
        };
      return {
        ok: true,
        userId: proof.statement.userId,
        via: "socket-mode",
        at: proof.statement.at,
        said: proof.statement,
      };
    case "ssh": {
      let claim: SignedClaim;
      try {
        claim = parseClaim(proof.message);
      } catch (error) {
        return {
          ok: false,
          problem: "invalid",
          reason: error instanceof Error ? error.message : "unreadable",
        };
      }
      const checked = verifySshSignature({
        message: proof.message,
        armored: proof.signature,
        keys: keys.keys.keysOf(claim.userId),
      });
      if (!checked.ok)
        return {
          ok: false,
          problem: "invalid",
          reason: checked.reason,
          claimedUser: claim.userId,
          ...(checked.fingerprint ? { fingerprint: checked.fingerprint } : {}),
        };
      return {
        ok: true,
        userId: claim.userId,
        via: "ssh",
        at: claim.at,
        fingerprint: checked.fingerprint,
        said: { kind: "claim", claim },
      };
    }
  }
}

/** A proof's size is bounded: a stored click keeps the message it was on, which Slack bounds. */
export const MAX_PROOF_BYTES = 64 * 1024;

export function proofSize(proof: Proof): number {
  return Buffer.byteLength(JSON.stringify(proof));
}
