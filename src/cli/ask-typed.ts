import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** The person's terminal: where a confirmation is asked and answered. */
export interface Terminal {
  input: Readable;
  output: Writable;
  /** Both stdin and stdout are a terminal: a person can be asked. */
  isTTY: boolean;
  /** How long a question waits for its answer (default: the asker's). */
  deadlineMs?: number;
}

/** What the person answered, or why there is no answer. */
export type TypedAnswer =
  | { answered: true; text: string }
  | { answered: false; why: "end of input" | "interrupted" | "no answer in time" };

/**
 * Asks one line on the terminal: the line typed, or no answer on end of input (Ctrl-D), Ctrl-C, or
 * once `deadlineMs` have passed. Reading stops either way; nothing waits forever.
 */
export function askTyped(terminal: Terminal, question: string, deadlineMs: number): Promise<TypedAnswer> {
  // Line editing and Ctrl-C as a keypress where the output is a real terminal; plain lines otherwise.
  const tty = (terminal.output as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input: terminal.input, output: terminal.output, terminal: tty });
  return new Promise<TypedAnswer>((resolve) => {
    let settled = false;
    const settle = (answer: TypedAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rl.close();
      if (!answer.answered) terminal.output.write("\n");
      resolve(answer);
    };
    const timer = setTimeout(() => settle({ answered: false, why: "no answer in time" }), deadlineMs);
    rl.once("SIGINT", () => settle({ answered: false, why: "interrupted" }));
    rl.once("close", () => settle({ answered: false, why: "end of input" }));
    rl.once("line", (line) => settle({ answered: true, text: line }));
    terminal.output.write(question);
  });
}
