/**
 * The error classes of `@dwd/auth`: one base class with a stable `code`, a one-line `message` and a
 * separate `hint` that carries the fix.
 *
 * @module
 */

import { redactValue } from "./_internal/redact-value.ts";
import type { KeylessErrorCode } from "./keyless-error.ts";
import { redactSecrets } from "./redact.ts";

/** Stable codes of {@link KeyError}: why a key could not be loaded. */
export type KeyErrorCode =
  | "key_source_missing"
  | "key_file_not_found"
  | "key_file_unreadable"
  | "key_not_a_file"
  | "key_too_large"
  | "key_not_json"
  | "wrong_credential_type"
  | "key_missing_field"
  | "key_unparseable"
  | "key_encrypted"
  | "key_not_rsa"
  | "key_openssh"
  | "p12_email_required"
  | "pem_email_required"
  | "p12_wrong_password"
  | "p12_truncated"
  | "p12_invalid"
  | "p12_no_private_key"
  | "p12_iterations_too_high"
  | "p12_unsupported_runtime";

/** Stable codes of {@link DelegationError}: why the token endpoint refused (or could not be asked). */
export type DelegationErrorCode =
  | "delegation_not_authorized"
  | "consumer_subject"
  | "scope_not_granted"
  | "account_restricted"
  | "admin_policy_enforced"
  | "client_not_found"
  | "client_deleted"
  | "client_disabled"
  | "org_internal"
  | "user_suspended"
  | "invalid_signature"
  | "unknown_subject"
  | "invalid_subject"
  | "subject_deleted"
  | "clock_skew"
  | "wrong_audience"
  | "unknown_issuer"
  | "account_deleted"
  | "account_disabled"
  | "invalid_grant"
  | "invalid_scope"
  | "assertion_too_large"
  | "unsupported_grant_type"
  | "token_endpoint_unavailable"
  | "token_endpoint_unreachable"
  | "token_endpoint_timeout"
  | "token_endpoint_redirected"
  | "token_endpoint_error";

/** Every code an `@dwd/auth` error can carry. */
export type DwdErrorCode = KeyErrorCode | DelegationErrorCode | KeylessErrorCode;

/** Options shared by the error constructors. */
export interface DwdErrorOptions {
  /** The fix, printed on its own line by the CLI. */
  hint?: string | undefined;
  /** The underlying error or Google's raw error body. */
  cause?: unknown;
}

/** Options of the errors that always carry a fix: `hint` is required. */
export type HintedErrorOptions = DwdErrorOptions & { hint: string };

/**
 * Base class of every error thrown by `@dwd/auth` (and of `@dwd/calendar`'s). Nothing it shows can hold
 * a secret: `message` and `hint` pass through {@link redactSecrets}, so do the strings inside `cause`
 * (a copy is kept when one held a secret), `toString()` is built from the message, and `toJSON()`
 * (what `JSON.stringify` emits) holds only the name, code, message, hint and facts, redacted.
 *
 * @example
 * ```ts
 * try { await loadKey("key.json"); } catch (e) { if (e instanceof DwdError) console.error(e.message, e.hint); }
 * ```
 */
export class DwdError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: string;
  /** The fix, in one line. */
  readonly hint?: string | undefined;

  /**
   * @param code stable code
   * @param message one-line message (house style: what failed, colon, what is true)
   * @param options hint and cause
   */
  constructor(code: string, message: string, options: DwdErrorOptions = {}) {
    // Redacted here, once, so no subclass or caller can put a key or a token into what is shown; a
    // remote body that echoes the request (an assertion, a bearer token) is redacted inside `cause` too.
    super(
      redactSecrets(message),
      options.cause === undefined ? undefined : { cause: redactValue(options.cause) },
    );
    this.name = "DwdError";
    this.code = code;
    if (options.hint !== undefined) this.hint = redactSecrets(options.hint);
  }

  /**
   * What `JSON.stringify(error)` emits: name, code, message, hint and the facts (the subclass's own
   * fields), every string redacted. Never the stack or `cause`.
   *
   * @returns a plain object
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    if (this.hint !== undefined) out["hint"] = this.hint;
    for (const [field, value] of Object.entries(this)) {
      if (!(field in out) && field !== "stack" && field !== "cause")
        out[field] = redactValue(value);
    }
    return out;
  }
}

/**
 * A service-account key could not be loaded. Never carries key material.
 *
 * @example
 * ```ts
 * try { await loadKey("key.p12", { email: "bot@project.iam.gserviceaccount.com" }); } catch (e) {
 *   if (e instanceof KeyError && e.code === "p12_wrong_password") console.error(e.hint);
 * }
 * ```
 */
export class KeyError extends DwdError {
  declare readonly code: KeyErrorCode;
  /** The fix, in one line: every key error has one. */
  declare readonly hint: string;
  /** The file path or label of the key, when known. */
  readonly source?: string | undefined;
  /** The missing field, for `key_missing_field`. */
  readonly field?: string | undefined;

  /**
   * @param code stable code
   * @param message one-line message
   * @param options hint, cause, source label and missing field
   */
  constructor(
    code: KeyErrorCode,
    message: string,
    options: HintedErrorOptions & { source?: string | undefined; field?: string | undefined },
  ) {
    super(code, message, options);
    this.name = "KeyError";
    if (options.source !== undefined) this.source = redactSecrets(options.source);
    if (options.field !== undefined) this.field = options.field;
  }
}

/** The facts a {@link DelegationError} carries. */
export interface DelegationFacts {
  /** Service-account email (`iss`). */
  clientEmail?: string | undefined;
  /** Numeric OAuth2 client ID (what the Admin console needs); unknown for .p12/PEM keys unless given. */
  clientId?: string | undefined;
  /** The impersonated user (`sub`). */
  subject?: string | undefined;
  /** The requested scopes. */
  scopes: readonly string[];
  /** `private_key_id` of the signing key. */
  keyId?: string | undefined;
  /** HTTP status of the token endpoint's answer. */
  status?: number | undefined;
  /** The token endpoint URL that was posted to. */
  tokenUri?: string | undefined;
  /** Measured offset of the token endpoint's clock minus ours, in ms (from its `Date` header). */
  clockOffsetMs?: number | undefined;
  /** Google's `error` field. */
  oauthError?: string | undefined;
  /** Google's `error_description` field. */
  oauthErrorDescription?: string | undefined;
  /** True when retrying later may succeed (5xx, 429, network). */
  retryable?: boolean | undefined;
}

/**
 * The token endpoint refused a delegated token, or could not be reached. `cause` holds Google's raw
 * error body (or the network error).
 *
 * @example
 * ```ts
 * const scopes = ["https://www.googleapis.com/auth/calendar.readonly"];
 * try { await source.getToken({ subject: "info@example.com", scopes }); } catch (e) {
 *   if (e instanceof DelegationError) console.error(`${e.message}\n${e.hint}`);
 * }
 * ```
 */
export class DelegationError extends DwdError {
  /** The stable code; `switch` on it. */
  declare readonly code: DelegationErrorCode;
  /** The fix, in one line (Admin console path, what to paste, what to check): every one has one. */
  declare readonly hint: string;
  /** The service account (`iss` of the assertion). */
  readonly clientEmail?: string | undefined;
  /** The service account's numeric OAuth client ID, what the Admin console's DWD entry names; unknown for .p12/PEM keys unless given. */
  readonly clientId?: string | undefined;
  /** The impersonated user (`sub`); absent when the service account asked for itself. */
  readonly subject?: string | undefined;
  /** The scopes of the failing request, sorted. */
  readonly scopes: string[];
  /** `private_key_id` of the signing key, when known. */
  readonly keyId?: string | undefined;
  /** HTTP status of the token endpoint's answer (absent when none arrived). */
  readonly status?: number | undefined;
  /** The token endpoint that was asked. */
  readonly tokenUri?: string | undefined;
  /** The endpoint's clock minus ours in ms, from its `Date` header (for `clock_skew`). */
  readonly clockOffsetMs?: number | undefined;
  /** Google's `error` field, e.g. `"unauthorized_client"`. */
  readonly oauthError?: string | undefined;
  /** Google's `error_description`, verbatim. */
  readonly oauthErrorDescription?: string | undefined;
  /** Whether retrying with backoff may help (outages, 5xx, network failures). */
  readonly retryable: boolean;

  /**
   * @param code stable code
   * @param message one-line message
   * @param options facts, hint and cause
   */
  constructor(
    code: DelegationErrorCode,
    message: string,
    options: HintedErrorOptions & DelegationFacts,
  ) {
    super(code, message, options);
    this.name = "DelegationError";
    this.scopes = [...options.scopes];
    this.retryable = options.retryable ?? false;
    const facts = [
      "clientEmail",
      "clientId",
      "subject",
      "keyId",
      "status",
      "tokenUri",
      "clockOffsetMs",
      "oauthError",
      "oauthErrorDescription",
    ] as const;
    for (const f of facts) {
      const value = options[f];
      // Google's description may echo the request; every fact is shown by someone sooner or later.
      if (value !== undefined)
        (this as Record<string, unknown>)[f] =
          typeof value === "string" ? redactSecrets(value) : value;
    }
  }
}
