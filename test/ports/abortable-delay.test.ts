import { describe, expect, it } from "vitest";
import { abortableDelay } from "../../src/ports/abortable-delay.js";

describe("the abortable sleep", () => {
  it("rejects with the signal's reason when it aborts during the wait", async () => {
    const stop = new AbortController();
    const waiting = abortableDelay(600_000, stop.signal);
    stop.abort(new Error("lost the lease"));
    await expect(waiting).rejects.toThrow("lost the lease");
  });

  it("rejects at once when the signal aborted before it began", async () => {
    await expect(abortableDelay(600_000, AbortSignal.abort(new Error("deadline")))).rejects.toThrow(
      "deadline",
    );
  });

  it("resolves after its time, with a signal that never aborts or none", async () => {
    await expect(abortableDelay(1, new AbortController().signal)).resolves.toBeUndefined();
    await expect(abortableDelay(1)).resolves.toBeUndefined();
  });
});
