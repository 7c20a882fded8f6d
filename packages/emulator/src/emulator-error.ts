/**
 * Stable codes of {@link EmulatorError}; `switch (err.code)` narrows on them.
 *
 * - `invalid_scenario`: a scenario does not validate (see `path` for where).
 * - `unknown_service_account`: a key or account was asked for by a name the scenario does not have.
 * - `listen_failed`: the Node adapter could not listen on the requested host and port.
 */
export type EmulatorErrorCode = "invalid_scenario" | "unknown_service_account" | "listen_failed";

/** Options of the {@link EmulatorError} constructor. */
export interface EmulatorErrorOptions {
  /** The fix, printed on its own line by the CLI. */
  hint?: string | undefined;
  /** Where in the scenario the problem is, e.g. `users[2].email`. */
  path?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error class of `@dwd/emulator`. Emulated Google errors are HTTP responses, never
 * exceptions; this is thrown only for problems of the emulator's own configuration.
 *
 * @example
 * ```ts
 * try { loadScenario('{"domain": "example.com"}'); } catch (err) {
 *   if (err instanceof EmulatorError && err.code === "invalid_scenario") console.error(err.message, err.hint);
 * }
 * ```
 */
export class EmulatorError extends Error {
  override readonly name = "EmulatorError" as const;
  /** Stable code. */
  readonly code: EmulatorErrorCode;
  /** The fix, separate from the message. */
  readonly hint?: string | undefined;
  /** Scenario path of the offending value, for `invalid_scenario`. */
  readonly path?: string | undefined;

  /**
   * @param code - stable code
   * @param message - what failed, colon, what is true (no trailing period)
   * @param options - hint, path and cause
   */
  constructor(code: EmulatorErrorCode, message: string, options: EmulatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.path !== undefined) this.path = options.path;
  }
}
