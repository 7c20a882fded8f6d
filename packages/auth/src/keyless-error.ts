/**
 * `KeylessError`: why keyless signing failed — the caller's own credentials (Application Default
 * Credentials) or the IAM Credentials API's `signJwt`.
 *
 * @module
 */

import { DwdError } from "./errors.ts";
import type { HintedErrorOptions } from "./errors.ts";

/** Stable codes of {@link KeylessError}. */
export type KeylessErrorCode =
  | "no_ambient_credentials"
  | "ambient_credentials_invalid"
  | "metadata_unreachable"
  | "metadata_error"
  | "caller_refresh_refused"
  | "caller_token_error"
  | "caller_scope_insufficient"
  | "iam_permission_denied"
  | "iam_api_disabled"
  | "iam_unauthenticated"
  | "iam_target_not_found"
  | "iam_invalid_argument"
  | "iam_unavailable"
  | "iam_unreachable"
  | "iam_error";

/** The facts a {@link KeylessError} carries. */
export interface KeylessFacts {
  /** The service account whose assertion was to be signed (the target). */
  serviceAccount?: string | undefined;
  /** The caller as an IAM member (`serviceAccount:…`, `user:…`), when known. */
  caller?: string | undefined;
  /** Where the caller's credentials came from: a file path or the metadata server's URL. */
  callerSource?: string | undefined;
  /** The caller's project (ID or number), when known. */
  projectId?: string | undefined;
  /** The delegation chain, as resource names. */
  delegates?: string[] | undefined;
  /** HTTP status of the failing answer. */
  status?: number | undefined;
  /** Google's canonical status (`PERMISSION_DENIED`, …) or OAuth `error`. */
  googleStatus?: string | undefined;
  /** Google's `ErrorInfo` reason (`SERVICE_DISABLED`, `IAM_PERMISSION_DENIED`, …) or OAuth subtype. */
  reason?: string | undefined;
  /** For `iam_api_disabled`: the page that enables the IAM Credentials API. */
  activationUrl?: string | undefined;
  /** For `no_ambient_credentials`: every place that was looked at, in order. */
  places?: string[] | undefined;
  /** Whether retrying later may help. */
  retryable?: boolean | undefined;
}

/**
 * Keyless signing failed: no caller credentials, a refused caller refresh, or a refusal of `signJwt`.
 * `cause` holds Google's raw error body (or the network error).
 *
 * @example
 * ```ts
 * try { await source.getToken({ subject, scopes }); } catch (e) {
 *   if (e instanceof KeylessError && e.code === "iam_permission_denied") console.error(e.hint);
 * }
 * ```
 */
export class KeylessError extends DwdError implements KeylessFacts {
  /** The stable code; `switch` on it. */
  declare readonly code: KeylessErrorCode;
  /** The fix, in one line: every keyless error has one. */
  declare readonly hint: string;
  readonly serviceAccount?: string | undefined;
  readonly caller?: string | undefined;
  readonly callerSource?: string | undefined;
  readonly projectId?: string | undefined;
  readonly delegates?: string[] | undefined;
  readonly status?: number | undefined;
  readonly googleStatus?: string | undefined;
  readonly reason?: string | undefined;
  readonly activationUrl?: string | undefined;
  readonly places?: string[] | undefined;
  /** Whether retrying later may help (outages, network failures). */
  readonly retryable: boolean;

  /**
   * @param code stable code
   * @param message one-line message
   * @param options facts, hint and cause
   */
  constructor(code: KeylessErrorCode, message: string, options: HintedErrorOptions & KeylessFacts) {
    super(code, message, options);
    this.name = "KeylessError";
    this.retryable = options.retryable ?? false;
    const facts = [
      "serviceAccount",
      "caller",
      "callerSource",
      "projectId",
      "delegates",
      "status",
      "googleStatus",
      "reason",
      "activationUrl",
      "places",
    ] as const;
    for (const f of facts) {
      if (options[f] !== undefined) (this as Record<string, unknown>)[f] = options[f];
    }
  }
}
