import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KubeError, toKubeError } from "../../../src/adapters/kubernetes/kube-error.js";
import { DrError } from "../../../src/domain/errors.js";

const where = { site: "dc2", operation: "scale deployment production/api to 3" };
const status = (code: number, message: string) =>
  new ApiException(code, "HTTP-Code", JSON.stringify({ kind: "Status", message, reason: "x" }), {});

describe("toKubeError", () => {
  it.each([
    [403, "forbidden", "forbidden"],
    [401, "forbidden", "forbidden"],
    [404, "not_found", "not_found"],
    [409, "conflict", "conflict"],
    [422, "invalid", "invalid_input"],
    [504, "timeout", "timeout"],
    [500, "unknown", "unavailable"],
  ] as const)("maps HTTP %i to reason %s (code %s)", (httpStatus, reason, code) => {
    const e = toKubeError(status(httpStatus, "the server said no"), where);
    expect(e).toBeInstanceOf(DrError);
    expect(e).toMatchObject({ reason, code, site: "dc2", status: httpStatus });
    expect(e.message).toBe(
      `site dc2: could not scale deployment production/api to 3: ${httpStatus} the server said no`,
    );
    expect(e.details).toMatchObject({ reason, site: "dc2", operation: where.operation });
  });

  it("reads the errno from fetch's cause chain as unreachable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
    const e = toKubeError(
      new Error("Error occurred in health request", {
        cause: new TypeError("fetch failed", { cause: refused }),
      }),
      where,
    );
    expect(e).toMatchObject({ reason: "unreachable", code: "unavailable" });
    expect(e.message).toContain("API server unreachable (ECONNREFUSED)");
  });

  it("treats the deadline's TimeoutError and a caller's abort as timeouts", () => {
    const timedOut = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(toKubeError(new TypeError("fetch failed", { cause: timedOut }), where)).toMatchObject({
      reason: "timeout",
    });
    expect(toKubeError(timedOut, where, { timeoutMs: 1500, timedOut: true }).message).toBe(
      "site dc2: could not scale deployment production/api to 3: no answer within 1500 ms",
    );
    const aborted = new DOMException("This operation was aborted", "AbortError");
    expect(toKubeError(aborted, where).message).toContain("the caller gave up");
  });

  it("never carries a bearer token or key material found in a library message", () => {
    const e = toKubeError(
      new Error("request failed: Authorization: Bearer s3cr3t-t0ken-value-123456"),
      where,
    );
    expect(e.reason).toBe("unknown");
    expect(e.message).not.toContain("s3cr3t");
  });

  it("keeps an existing KubeError as it is", () => {
    const original = new KubeError("forbidden", where, "403");
    expect(toKubeError(original, { site: "dc1", operation: "other" })).toBe(original);
  });
});
