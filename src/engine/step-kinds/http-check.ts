import { z } from "zod";
import { formatMs } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import { defineStepKind } from "../step-kind.js";

/**
 * An HTTP health check: status and optional body text, each attempt within its own `timeout` (a
 * health check's configured timeout, in ms) and the step's deadline. Idempotent.
 */
const httpParams = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(["GET", "HEAD"]).default("GET"),
    expectStatus: z
      .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
      .default(200),
    /** Text the body must contain; empty (a health check without one) means no body check. */
    bodyIncludes: z
      .string()
      .max(1000)
      .optional()
      .transform((text) => (text === "" ? undefined : text)),
    /** Milliseconds one attempt may take. */
    timeout: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export const httpCheckStep = defineStepKind({
  kind: "http",
  description: "Checks that a URL answers with the expected status (and body text) before the deadline.",
  params: httpParams,
  siteParams: [],
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    [
      `${p.method} ${p.url} expects ${Array.isArray(p.expectStatus) ? p.expectStatus.join("/") : p.expectStatus}`,
      p.bodyIncludes !== undefined ? ` with "${p.bodyIncludes.slice(0, 40)}"` : "",
      p.timeout !== undefined ? ` within ${formatMs(p.timeout)}` : "",
    ].join(""),
  async execute(ctx, p) {
    const budget = Math.max(
      1,
      Math.min(p.timeout ?? Number.POSITIVE_INFINITY, ctx.deadline - ctx.clock.now()),
    );
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(budget)]);
    const started = ctx.clock.now();
    let response: Response;
    try {
      response = await fetch(p.url, { method: p.method, signal, redirect: "manual" });
    } catch (error) {
      const reason = signal.aborted
        ? `no answer within ${formatMs(budget)}`
        : error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      return { status: "failed", error: `${p.url}: ${reason}` };
    }
    const body = p.method === "GET" ? await readText(response, signal) : { text: "" };
    const took = ctx.clock.now() - started;
    const expected = Array.isArray(p.expectStatus) ? p.expectStatus : [p.expectStatus];
    const output = `${p.method} ${p.url} → ${response.status} in ${formatMs(took)}`;
    if (!expected.includes(response.status))
      return {
        status: "failed",
        error: `${p.url} answered ${response.status}, expected ${expected.join(" or ")}`,
        output,
      };
    if ("unreadable" in body) {
      if (p.bodyIncludes !== undefined)
        return {
          status: "failed",
          error: `${p.url}: its body could not be read: ${body.unreadable}`,
          output,
        };
      ctx.log(`its body could not be read (${body.unreadable}); no body check was asked for`);
    } else if (p.bodyIncludes !== undefined && !body.text.includes(p.bodyIncludes)) {
      return { status: "failed", error: `${p.url} answered without "${p.bodyIncludes}" in its body`, output };
    }
    return { status: "succeeded", output };
  },
});

/** The body's first 64 KiB, or why it could not be read (the connection dropped, the budget ran out). */
async function readText(
  response: Response,
  signal: AbortSignal,
): Promise<{ text: string } | { unreadable: string }> {
  try {
    const text = await response.text();
    return signal.aborted ? { unreadable: "it did not arrive in time" } : { text: text.slice(0, 64 * 1024) };
  } catch (error) {
    return { unreadable: signal.aborted ? "it did not arrive in time" : describeError(error) };
  }
}
