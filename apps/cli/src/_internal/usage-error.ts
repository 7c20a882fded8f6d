/** A usage mistake or bad local input that is not a key problem: exit code 2, message + hint, no stack. */
export class UsageError extends Error {
  /** "usage", or a more precise code for a bad local input (e.g. "key_not_a_file"). */
  readonly code: string;
  /** The fix. */
  readonly hint?: string;

  constructor(message: string, hint?: string, code = "usage") {
    super(message);
    this.name = "UsageError";
    this.code = code;
    if (hint !== undefined) this.hint = hint;
  }
}
