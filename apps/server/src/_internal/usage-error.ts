/**
 * Bad input to the command (arguments, configuration, key file): one `error:` line, one `hint:` line,
 * exit 2. A refusal from Google at start exits 1; anything else is a bug (exit 70).
 */

import process from "node:process";

/** Bad arguments or input: exit 2. */
export class UsageError extends Error {
  /** The fix. */
  readonly hint: string;
  readonly code = "usage";

  /**
   * @param message what is wrong
   * @param hint the fix
   */
  constructor(message: string, hint: string) {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

const badInput = new Set(["UsageError", "ConfigError", "KeyError"]);

/**
 * Prints a fatal error as `error:` + `hint:` lines on stderr (redacted) and returns the exit code.
 *
 * @param error what was thrown
 * @returns 2 for bad input, 1 for a refusal, 70 for a bug
 */
export async function reportFatal(error: unknown): Promise<number> {
  const { redactSecrets } = await import("@dwd/auth");
  const e = error as { name?: string; message?: string; hint?: string };
  const message = typeof e?.message === "string" ? e.message : String(error);
  process.stderr.write(redactSecrets(`error: ${message}\n`));
  if (typeof e?.hint === "string") process.stderr.write(redactSecrets(`hint: ${e.hint}\n`));
  if (badInput.has(e?.name ?? "")) return 2;
  if (
    e?.name === "DelegationError" ||
    e?.name === "CalendarApiError" ||
    e?.name === "EmulatorError"
  )
    return 1;
  process.stderr.write(
    "hint: this is a bug in dwd-server; please report it with the command that caused it\n",
  );
  return 70;
}
