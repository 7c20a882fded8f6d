import type { Io } from "./io.ts";
import { printLines, stripAnsi } from "./io.ts";

/** Exit codes: 0 success, 1 Google (or the emulator) refused, 2 usage error or bad local input, 70 internal bug. */
export const exitCodes = { ok: 0, refused: 1, usage: 2, internal: 70 } as const;

// Classified by `name` (set explicitly by each class, so it survives bundling and minifying) rather than by
// `instanceof`, so the error path does not have to load @dwd/auth just to look at an error.
const refused = new Set(["DelegationError", "CalendarApiError"]);
const localInput = new Set(["KeyError", "UsageError", "CLIError", "EmulatorError"]);

interface Diagnosable {
  name: string;
  message: string;
  code?: unknown;
  hint?: unknown;
}

/** Whether an error is one of ours (a diagnosis with a code) rather than a bug. */
export function isDiagnosis(error: unknown): error is Diagnosable {
  return (
    error instanceof Error &&
    (refused.has(error.name) ||
      localInput.has(error.name) ||
      (typeof (error as Diagnosable).code === "string" && "hint" in error))
  );
}

/** The exit code for an error. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof Error)) return exitCodes.internal;
  if (localInput.has(error.name)) return exitCodes.usage;
  if (isDiagnosis(error)) return exitCodes.refused;
  return exitCodes.internal;
}

/**
 * Prints `error: <message>` and `hint: <hint>` for a diagnosis; for anything else (a bug) the stack and a
 * "please report" line. Each goes through `write` as one line (io.err makes it safe: redacted, control
 * characters visible), so a message carrying a subject with CR/LF stays one `error:` line.
 *
 * @returns the exit code
 */
export function reportError(
  error: unknown,
  io: Io,
  write: (line: string) => void = (l) => io.err(l),
): number {
  const label = (text: string, style: "red" | "yellow"): string =>
    io.styleErr(style, io.styleErr("bold", text));
  if (isDiagnosis(error)) {
    write(`${label("error:", "red")} ${stripAnsi(error.message)}`);
    if (typeof error.hint === "string" && error.hint !== "")
      write(`${label("hint:", "yellow")} ${error.hint}`);
    return exitCodeFor(error);
  }
  write(
    `${label("error:", "red")} internal error: ${error instanceof Error ? error.message : String(error)}`,
  );
  if (error instanceof Error && error.stack !== undefined) printLines(write, error.stack);
  write(
    "This is a bug in dwd: please report it with the command you ran and the output above (without any key or token).",
  );
  return exitCodes.internal;
}
