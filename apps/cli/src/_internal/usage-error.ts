/** A usage mistake or bad local input that is not a key problem: exit code 2, message + hint, no stack. */
export class UsageError extends Error {
  /** Always "usage". */
  readonly code = "usage";
  /** The fix. */
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UsageError";
    if (hint !== undefined) this.hint = hint;
  }
}
