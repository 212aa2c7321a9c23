import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type { Proof } from "../../src/domain/evidence/proof.js";
import { type ClaimDetail, formatClaim, type SignedAction } from "../../src/domain/evidence/signed-claim.js";
import { signSlackRequest } from "../../src/domain/evidence/slack-request.js";
import { sshString } from "../../src/domain/evidence/ssh-wire.js";
import type { RunRecord } from "../../src/domain/run.js";
import { RUN_ACTION } from "../../src/domain/slack-actions.js";

/**
 * Proofs for unit tests of the logic that judges them: Slack requests signed with a test secret as
 * Slack signs them, and SSH signatures in the SSHSIG format made in-process with an ed25519 key. The
 * verifier itself is tested against the real ssh-keygen (test/domain/evidence/sshsig.int.test.ts);
 * here only the rules around it are.
 */
export const TEST_SIGNING_SECRET = "test-signing-secret-0123456789abcdef";

export interface TestSigner {
  userId: string;
  /** The authorized_keys line for the configuration. */
  publicLine: string;
  sign(message: string): string;
}

export function testSigner(userId: string): TestSigner {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const blob = Buffer.concat([sshString("ssh-ed25519"), sshString(raw)]);
  return {
    userId,
    publicLine: `ssh-ed25519 ${blob.toString("base64")} ${userId}@test`,
    sign: (message) => sshsig(blob, privateKey, message),
  };
}

function sshsig(blob: Buffer, key: KeyObject, message: string, namespace = "drbot"): string {
  const digest = createHash("sha512").update(message, "utf8").digest();
  const signed = Buffer.concat([
    Buffer.from("SSHSIG"),
    sshString(namespace),
    sshString(""),
    sshString("sha512"),
    sshString(digest),
  ]);
  const signature = Buffer.concat([sshString("ssh-ed25519"), sshString(sign(null, signed, key))]);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from("SSHSIG"),
    version,
    sshString(blob),
    sshString(namespace),
    sshString(""),
    sshString("sha512"),
    sshString(signature),
  ]).toString("base64");
  const lines = body.match(/.{1,70}/g) ?? [];
  return ["-----BEGIN SSH SIGNATURE-----", ...lines, "-----END SSH SIGNATURE-----"].join("\n");
}

/** A CLI proof: `signer` signs `action` on `run` (its id and plan hash) at `at`. */
export function sshProof(
  signer: TestSigner,
  action: SignedAction,
  run: Pick<RunRecord, "id" | "plan">,
  at: number,
  details: Partial<Record<ClaimDetail, string>> = {},
): Proof {
  const message = formatClaim({
    userId: signer.userId,
    action,
    runId: run.id,
    planHash: run.plan.hash,
    at,
    nonce: randomBytes(16).toString("hex"),
    details,
  });
  return { via: "ssh", message, signature: signer.sign(message) };
}

/** A Slack request as Slack sends and signs it: form fields, or a block_actions payload. */
export function slackProof(body: string, at: number, secret = TEST_SIGNING_SECRET): Proof {
  const timestamp = String(Math.floor(at / 1000));
  return { via: "slack", request: { body, timestamp, signature: signSlackRequest(secret, timestamp, body) } };
}

/** `/dr TEXT` typed by `userId`, signed by Slack. */
export function slackCommandProof(userId: string, text: string, at: number, secret?: string): Proof {
  const body = new URLSearchParams({
    command: "/dr",
    text,
    user_id: userId,
    channel_id: "C0INCIDENT",
    trigger_id: `trigger-${randomBytes(4).toString("hex")}`,
  }).toString();
  return slackProof(body, at, secret);
}

/** A click on a button with `actionId` and `value` by `userId`, signed by Slack. */
export function slackClickProof(
  userId: string,
  actionId: string,
  value: string,
  at: number,
  secret?: string,
): Proof {
  const payload = {
    type: "block_actions",
    user: { id: userId },
    channel: { id: "C0INCIDENT" },
    actions: [{ action_id: actionId, value, type: "button" }],
  };
  return slackProof(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), at, secret);
}

/** The Approve click on the card of `run`, accepting the data-loss reading `accepts` when given. */
export function slackApproveProof(
  userId: string,
  run: Pick<RunRecord, "id" | "plan">,
  at: number,
  accepts?: string,
): Proof {
  const value = [run.id, run.plan.hash, ...(accepts ? [`accept-${accepts}`] : [])].join("|");
  return slackClickProof(userId, RUN_ACTION.approve, value, at);
}
