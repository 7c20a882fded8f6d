/**
 * The error classes of `@dwd/auth`: one base class with a stable `code`, a one-line `message` and a
 * separate `hint` that carries the fix.
 *
 * @module
 */

import type { KeylessErrorCode } from "./keyless-error.ts";
import { redactSecrets } from "./redact.ts";

/** Stable codes of {@link KeyError}: why a key could not be loaded. */
export type KeyErrorCode =
  | "key_source_missing"
  | "key_file_not_found"
  | "key_file_unreadable"
  | "key_not_json"
  | "wrong_credential_type"
  | "key_missing_field"
  | "key_unparseable"
  | "key_encrypted"
  | "key_not_rsa"
  | "p12_email_required"
  | "pem_email_required"
  | "p12_wrong_password"
  | "p12_truncated"
  | "p12_invalid"
  | "p12_no_private_key"
  | "p12_unsupported_runtime";

/** Stable codes of {@link DelegationError}: why the token endpoint refused (or could not be asked). */
export type DelegationErrorCode =
  | "delegation_not_authorized"
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
  | "unsupported_grant_type"
  | "token_endpoint_unavailable"
  | "token_endpoint_unreachable"
  | "token_endpoint_error";

/** Every code an `@dwd/auth` error can carry. */
export type DwdErrorCode = KeyErrorCode | DelegationErrorCode | KeylessErrorCode;

/** Options shared by the error constructors. */
export interface DwdErrorOptions {
  /** The fix, printed on its own line by the CLI. */
  hint?: string;
  /** The underlying error or Google's raw error body. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by `@dwd/auth`.
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
  readonly hint?: string;

  /**
   * @param code stable code
   * @param message one-line message (house style: what failed, colon, what is true)
   * @param options hint and cause
   */
  constructor(code: string, message: string, options: DwdErrorOptions = {}) {
    // Redacted here, once, so no subclass or caller can put a key or a token into what is shown.
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DwdError";
    this.code = code;
    if (options.hint !== undefined) this.hint = redactSecrets(options.hint);
  }
}

/**
 * A service-account key could not be loaded. Never carries key material.
 *
 * @example
 * ```ts
 * try { await loadKey("key.p12", { email }); } catch (e) {
 *   if (e instanceof KeyError && e.code === "p12_wrong_password") console.error(e.hint);
 * }
 * ```
 */
export class KeyError extends DwdError {
  declare readonly code: KeyErrorCode;
  /** The file path or label of the key, when known. */
  readonly source?: string;
  /** The missing field, for `key_missing_field`. */
  readonly field?: string;

  /**
   * @param code stable code
   * @param message one-line message
   * @param options hint, cause, source label and missing field
   */
  constructor(code: KeyErrorCode, message: string, options: DwdErrorOptions & { source?: string; field?: string } = {}) {
    super(code, message, options);
    this.name = "KeyError";
    if (options.source !== undefined) this.source = options.source;
    if (options.field !== undefined) this.field = options.field;
  }
}

/** The facts a {@link DelegationError} carries. */
export interface DelegationFacts {
  /** Service-account email (`iss`). */
  clientEmail?: string;
  /** Numeric OAuth2 client ID (what the Admin console needs); unknown for .p12/PEM keys unless given. */
  clientId?: string;
  /** The impersonated user (`sub`). */
  subject?: string;
  /** The requested scopes. */
  scopes: string[];
  /** `private_key_id` of the signing key. */
  keyId?: string;
  /** HTTP status of the token endpoint's answer. */
  status?: number;
  /** The token endpoint URL that was posted to. */
  tokenUri?: string;
  /** Measured offset of the token endpoint's clock minus ours, in ms (from its `Date` header). */
  clockOffsetMs?: number;
  /** Google's `error` field. */
  oauthError?: string;
  /** Google's `error_description` field. */
  oauthErrorDescription?: string;
  /** True when retrying later may succeed (5xx, 429, network). */
  retryable?: boolean;
}

/**
 * The token endpoint refused a delegated token, or could not be reached. `cause` holds Google's raw
 * error body (or the network error).
 *
 * @example
 * ```ts
 * try { await source.getToken({ subject, scopes }); } catch (e) {
 *   if (e instanceof DelegationError) console.error(`${e.message}\n${e.hint ?? ""}`);
 * }
 * ```
 */
export class DelegationError extends DwdError {
  /** The stable code; `switch` on it. */
  declare readonly code: DelegationErrorCode;
  /** The service account (`iss` of the assertion). */
  readonly clientEmail?: string;
  /** The service account's numeric OAuth client ID, what the Admin console's DWD entry names; unknown for .p12/PEM keys unless given. */
  readonly clientId?: string;
  /** The impersonated user (`sub`); absent when the service account asked for itself. */
  readonly subject?: string;
  /** The scopes of the failing request, sorted. */
  readonly scopes: string[];
  /** `private_key_id` of the signing key, when known. */
  readonly keyId?: string;
  /** HTTP status of the token endpoint's answer (absent when none arrived). */
  readonly status?: number;
  /** The token endpoint that was asked. */
  readonly tokenUri?: string;
  /** The endpoint's clock minus ours in ms, from its `Date` header (for `clock_skew`). */
  readonly clockOffsetMs?: number;
  /** Google's `error` field, e.g. `"unauthorized_client"`. */
  readonly oauthError?: string;
  /** Google's `error_description`, verbatim. */
  readonly oauthErrorDescription?: string;
  /** Whether retrying with backoff may help (outages, 5xx, network failures). */
  readonly retryable: boolean;

  /**
   * @param code stable code
   * @param message one-line message
   * @param options facts, hint and cause
   */
  constructor(code: DelegationErrorCode, message: string, options: DwdErrorOptions & DelegationFacts) {
    super(code, message, options);
    this.name = "DelegationError";
    this.scopes = [...options.scopes];
    this.retryable = options.retryable ?? false;
    const facts = ["clientEmail", "clientId", "subject", "keyId", "status", "tokenUri", "clockOffsetMs", "oauthError", "oauthErrorDescription"] as const;
    for (const f of facts) {
      if (options[f] !== undefined) (this as Record<string, unknown>)[f] = options[f];
    }
  }
}
