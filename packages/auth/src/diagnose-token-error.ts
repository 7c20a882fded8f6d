/**
 * `diagnoseTokenError()`: every refusal of Google's token endpoint (`oauth2.googleapis.com/token`) as a
 * {@link DelegationError} with a stable code, the facts and the exact fix.
 *
 * @module
 */

import { ADMIN_CONSOLE_PATH, adminConsoleLink } from "./admin-console-link.ts";
import { DelegationError } from "./errors.ts";
import { redactSecrets } from "./redact.ts";
import type { DelegationErrorCode, DelegationFacts } from "./errors.ts";
import type { SignerIdentity } from "./signer.ts";

/** A token-endpoint answer that was not a token, or a request that never got an answer. */
export type TokenEndpointFailure =
  | {
      /** HTTP status. */
      status: number;
      /** The body: parsed JSON, or the raw text. */
      body: unknown;
      /** The response's `Date` header, to measure clock skew. */
      date?: string | null | undefined;
    }
  | {
      /** What `fetch` threw. */
      networkError: unknown;
    };

/** What was being asked for when the token endpoint refused. */
export interface DiagnoseContext {
  /** The key that signed the assertion. */
  key: Pick<SignerIdentity, "clientEmail"> & Partial<SignerIdentity>;
  /** The impersonated user. */
  subject?: string | undefined;
  /** The requested scopes. */
  scopes: readonly string[];
  /**
   * Every scope this client is meant to hold under domain-wide delegation; diagnoses list all of them
   * in the prefilled link, since the link replaces the entry. Default: the scopes of the failing request.
   */
  delegatedScopes?: readonly string[] | undefined;
  /** The token endpoint posted to. */
  tokenUri?: string | undefined;
  /** Local time (ms) when the answer arrived; compared with its `Date` header. Defaults to `Date.now()`. */
  now?: number | undefined;
}

// Google's consumer mail domains: an account there is never a Workspace user, so never delegable.
const CONSUMER_DOMAINS = new Set(["gmail.com", "googlemail.com"]);

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_ERRORS = new Set(["internal_failure", "server_error", "temporarily_unavailable"]);

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

function scopePhrase(scopes: readonly string[]): string {
  return `${scopes.length === 1 ? "scope" : "scopes"} ${quoteList(scopes)}`;
}

/** Removes the trailing period and folds case, as GAM does before comparing. */
function norm(text: string): string {
  return text.trim().replace(/\.$/, "").toLowerCase();
}

function parseBody(body: unknown): {
  error?: string | undefined;
  description?: string | undefined;
} {
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const record = value as Record<string, unknown>;
  const nested = record["error"];
  // Some proxies wrap it in Google's API envelope: {"error":{"status":…,"message":…}}
  if (typeof nested === "object" && nested !== null) {
    const n = nested as Record<string, unknown>;
    return {
      ...(typeof n["status"] === "string" ? { error: n["status"].toLowerCase() } : {}),
      ...(typeof n["message"] === "string" ? { description: n["message"] } : {}),
    };
  }
  return {
    ...(typeof nested === "string" ? { error: nested } : {}),
    ...(typeof record["error_description"] === "string"
      ? { description: record["error_description"] }
      : {}),
  };
}

/**
 * Cloud-console and gcloud directions to the numeric client ID of a service account (a .p12/PEM key
 * holds none).
 *
 * @param clientEmail the service account's email
 * @returns one line of directions
 * @example
 * ```ts
 * findClientIdHint("bot@p.iam.gserviceaccount.com");
 * ```
 */
export function findClientIdHint(clientEmail: string): string {
  return `Find the numeric client ID of "${clientEmail}": Cloud console → IAM & Admin → Service accounts → the account → "Unique ID" (its OAuth 2 client ID), or gcloud iam service-accounts describe ${clientEmail} --format='value(oauth2ClientId)'`;
}

/** The scopes the client's DWD entry should hold: delegatedScopes ∪ requested scopes, unique and sorted. */
function entryScopes(context: DiagnoseContext): string[] {
  const all = [...(context.delegatedScopes ?? []), ...context.scopes]
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...new Set(all)].sort();
}

function delegationHint(context: DiagnoseContext): string {
  const { clientId, clientEmail } = context.key;
  const scopes = entryScopes(context);
  const list = scopes.join(",");
  // The link carries overwriteClientId=true: it replaces the entry rather than adding to it.
  const tail =
    "it replaces the client's entry with exactly these scopes, so add any other scope the entry already holds (changes can take up to 24 hours to reach all users)";
  if (clientId) {
    return `In ${ADMIN_CONSOLE_PATH}, add the numeric client ID "${clientId}" (not the email "${clientEmail}") with the OAuth scopes "${list}" (comma-separated), or open ${adminConsoleLink(clientId, scopes)} — ${tail}`;
  }
  return `${findClientIdHint(clientEmail)}. Then in ${ADMIN_CONSOLE_PATH}, add that numeric ID (not the email) with the OAuth scopes "${list}" (comma-separated), or open ${adminConsoleLink("CLIENT_ID", scopes)} with CLIENT_ID replaced — ${tail}`;
}

/** Google's description as quoted in a message: redacted before it is cut, so no secret is cut in two. */
function shown(description: string): string {
  const text = redactSecrets(description);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function formatSeconds(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  return s >= 120 ? `${s} s (${(s / 60).toFixed(1)} min)` : `${s} s`;
}

/**
 * Turns a token-endpoint refusal (or a network failure) into a {@link DelegationError}: a stable
 * code, the facts (client ID, subject, scopes, key ID, status, measured clock offset), Google's body as
 * `cause`, a one-line message and a `hint` with the fix.
 *
 * @param failure the status, body and `Date` header of the answer, or the network error
 * @param context the key, subject, scopes and token URI of the request, and the scopes the client's
 *   delegation entry should hold (`delegatedScopes`, listed in the prefilled Admin-console link)
 * @returns the diagnosis (never throws)
 * @example
 * ```ts
 * const err = diagnoseTokenError(
 *   { status: 401, body: { error: "unauthorized_client", error_description: "Client is unauthorized…" } },
 *   { key, subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] },
 * );
 * err.code; // "delegation_not_authorized"
 * ```
 */
export function diagnoseTokenError(
  failure: TokenEndpointFailure,
  context: DiagnoseContext,
): DelegationError {
  const { key, subject, scopes } = context;
  const who = subject ? `"${subject}"` : `service account "${key.clientEmail}"`;
  const prefix = `Cannot get a token for ${who}`;
  const facts: DelegationFacts = {
    clientEmail: key.clientEmail,
    scopes: [...scopes],
    ...(key.clientId ? { clientId: key.clientId } : {}),
    ...(subject ? { subject } : {}),
    ...(key.privateKeyId ? { keyId: key.privateKeyId } : {}),
    ...(context.tokenUri ? { tokenUri: context.tokenUri } : {}),
  };

  if ("networkError" in failure) {
    const err = failure.networkError;
    const inner = (err as { cause?: { code?: unknown; message?: unknown } | undefined } | null)
      ?.cause;
    const why =
      typeof inner?.code === "string"
        ? inner.code
        : err instanceof Error
          ? err.message
          : "network error";
    return new DelegationError(
      "token_endpoint_unreachable",
      `${prefix}: the token endpoint "${context.tokenUri ?? "(unknown)"}" cannot be reached (${why})`,
      {
        ...facts,
        retryable: true,
        cause: err,
        hint: "Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running",
      },
    );
  }

  const { status } = failure;
  const { error = "", description = "" } = parseBody(failure.body);
  const d = norm(description);
  const withGoogle = {
    ...facts,
    status,
    cause: failure.body,
    ...(error ? { oauthError: error } : {}),
    ...(description ? { oauthErrorDescription: description } : {}),
  };
  const make = (
    code: DelegationErrorCode,
    what: string,
    hint: string,
    extra: Partial<DelegationFacts> = {},
  ): DelegationError =>
    new DelegationError(code, `${prefix}: ${what}`, { ...withGoogle, ...extra, hint });
  const clientLabel = key.clientId
    ? `client "${key.clientId}"`
    : `the client ID of "${key.clientEmail}"`;
  const keyLabel = key.privateKeyId
    ? `key "${key.privateKeyId}"`
    : key.kind === "p12"
      ? "the .p12 key"
      : "the key";
  const createKey = `Create a new key (Cloud console → IAM & Admin → Service accounts → "${key.clientEmail}" → Keys → Add key) and use it`;

  switch (error) {
    case "unauthorized_client": {
      // Google folds three causes into this one answer; only a consumer account can be told apart
      // without the Admin console (no Workspace ever holds a gmail.com user).
      const domain = subject?.slice(subject.lastIndexOf("@") + 1).toLowerCase();
      if (subject !== undefined && domain !== undefined && CONSUMER_DOMAINS.has(domain)) {
        return make(
          "consumer_subject",
          `"${subject}" is a consumer Google account (${domain}), not a user of a Workspace domain: domain-wide delegation acts only for users of the domain that granted ${clientLabel}`,
          "Impersonate a user of the Workspace domain where the delegation is set up (its primary email); a consumer account can only be reached with its own OAuth consent, not through a service account",
        );
      }
      const user = subject ? `"${subject}" is not a user of` : "no subject names a user of";
      return make(
        "delegation_not_authorized",
        `Google refused ${clientLabel} for ${scopePhrase(scopes)} (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks ${scopes.length === 1 ? "that scope" : "these scopes"}, ${user} the Workspace domain that granted the client, or the entry names another client ID`,
        `Check all three. The user: impersonate a user of the domain whose Admin console holds the entry (the primary email, not an alias, a consumer account or another organization's user). The entry: ${delegationHint(context)}`,
      );
    }
    case "access_denied":
      if (d === "account restricted") {
        return make(
          "account_restricted",
          "Google has restricted the user's account",
          "Ask a Workspace super administrator to check the user in Admin console → Directory → Users, or impersonate another user",
        );
      }
      return make(
        "scope_not_granted",
        `${clientLabel} is not authorized for every one of ${scopePhrase(scopes)}`,
        delegationHint(context),
      );
    case "admin_policy_enforced":
      return make(
        "admin_policy_enforced",
        `an admin policy blocks ${scopePhrase(scopes)} for ${clientLabel}`,
        "Trust the app in Admin console → Security → Access and data control → API controls → Manage third-party app access, or request fewer scopes",
      );
    case "invalid_client":
      return make(
        "client_not_found",
        `service account "${key.clientEmail}" does not exist`,
        `Check the email; the service account or its project may have been deleted. ${createKey}`,
      );
    case "deleted_client":
      return make(
        "client_deleted",
        `service account "${key.clientEmail}" was deleted`,
        "Undelete it within 30 days (gcloud iam service-accounts undelete CLIENT_ID), or use another service account",
      );
    case "disabled_client":
      return make(
        "client_disabled",
        `${keyLabel} or service account "${key.clientEmail}" is disabled`,
        "Enable the key and the account in Cloud console → IAM & Admin → Service accounts",
      );
    case "org_internal":
      return make(
        "org_internal",
        `the client is restricted to users within its organization`,
        "Use a service account of the same Cloud organization as the user's Workspace",
      );
    case "invalid_account":
      return make(
        "user_suspended",
        "the user is suspended or disabled",
        "Restore the user in Admin console → Directory → Users, or impersonate an active user",
      );
    case "invalid_scope":
      if (d.startsWith("empty or missing scope")) {
        return make(
          "invalid_scope",
          "no scope was requested",
          "Pass at least one OAuth scope, e.g. https://www.googleapis.com/auth/calendar",
        );
      }
      return make(
        "invalid_scope",
        `Google does not accept ${scopePhrase(scopes)}`,
        "Check each scope URL for typos; in a request, scopes are separated by spaces (commas only in the Admin console)",
      );
    case "invalid_request":
      if (d.includes("impersonation")) {
        return make(
          "invalid_subject",
          `${subject ? `"${subject}"` : "the subject"} is not a user that can be impersonated`,
          "Use the primary email of an existing user of the Workspace domain (not an alias, group or deleted user)",
        );
      }
      break;
    case "unsupported_grant_type":
      return make(
        "unsupported_grant_type",
        `the token endpoint does not accept the request's grant type (${description || "no description"})`,
        "Post grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer form-urlencoded; a proxy may be rewriting the body",
      );
    case "invalid_grant":
      return invalidGrant();
  }

  if (RETRYABLE_STATUS.has(status) || RETRYABLE_ERRORS.has(error)) {
    return make(
      "token_endpoint_unavailable",
      `the token endpoint answered ${status}${error ? ` "${error}"` : ""}`,
      "Retry with exponential backoff; Google's token endpoint is temporarily unavailable",
      { retryable: true },
    );
  }
  return make(
    "token_endpoint_error",
    `the token endpoint answered ${status}${error ? ` "${error}"` : ""}${description ? `: "${shown(description)}"` : ""}`,
    "Check the token URI and the request; this answer is not one Google documents",
  );

  function invalidGrant(): DelegationError {
    if (d === "invalid jwt signature") {
      return make(
        "invalid_signature",
        `Google does not accept ${keyLabel}'s signature for "${key.clientEmail}"`,
        `The key was deleted, disabled or rotated, or it belongs to another service account than "${key.clientEmail}"${key.privateKeyId ? `: look for key ID "${key.privateKeyId}" in Cloud console → IAM & Admin → Service accounts → the account → Keys` : ""}. ${createKey}`,
      );
    }
    if (
      d === "not a valid email or user id" ||
      d === "not a valid email" ||
      d === "invalid email or user id"
    ) {
      return make(
        "unknown_subject",
        `${subject ? `"${subject}"` : "the subject"} is not a user of the Workspace domain`,
        "Check the spelling; use the user's primary email (not an alias or a group), in a domain where the delegation is set up",
      );
    }
    if (d.startsWith("invalid jwt: token must be a short-lived token")) {
      return clockSkew();
    }
    if (d === "invalid jwt: failed audience check") {
      return make(
        "wrong_audience",
        `the assertion's audience "${context.tokenUri ?? "(unknown)"}" is not a token URL Google accepts`,
        'Post to https://oauth2.googleapis.com/token with that as "aud" (or fix the key\'s token_uri / DWD_EMULATOR_HOST)',
      );
    }
    if (d === "invalid jwt: no valid verifier found for issuer") {
      return make(
        "unknown_issuer",
        `Google has no public key for "${key.clientEmail}"`,
        `Check the service-account email; its keys may all be deleted. ${createKey}`,
      );
    }
    if (d === "invalid grant: account not found" || d === "account not found") {
      return make(
        "account_deleted",
        `service account "${key.clientEmail}" was not found (deleted, disabled, or created moments ago)`,
        "Check the account in Cloud console → IAM & Admin → Service accounts; a new account can take a minute to propagate",
      );
    }
    if (d === "robot is disabled") {
      return make(
        "account_disabled",
        `service account "${key.clientEmail}" is disabled`,
        "Enable it in Cloud console → IAM & Admin → Service accounts (or gcloud iam service-accounts enable)",
      );
    }
    if (d === "the account has been deleted") {
      return make(
        "subject_deleted",
        `${subject ? `"${subject}"` : "the subject"} was deleted`,
        "Impersonate an existing user (a deleted user can be restored for 20 days in Admin console → Directory → Users)",
      );
    }
    return make(
      "invalid_grant",
      `the token endpoint refused the assertion${description ? ` ("${shown(description)}")` : ""}`,
      "Check the key, the email, the subject and this machine's clock",
    );
  }

  function clockSkew(): DelegationError {
    const serverMs =
      failure && "date" in failure && failure.date ? Date.parse(failure.date) : Number.NaN;
    const localMs = context.now ?? Date.now();
    if (Number.isNaN(serverMs)) {
      return make(
        "clock_skew",
        "the assertion's iat/exp are outside the token endpoint's time window (it sent no Date header to compare clocks)",
        "Sync this machine's clock (e.g. with NTP), and do not reuse an assertion",
      );
    }
    const offset = serverMs - localMs;
    // Date has 1 s resolution; a few seconds either way is no skew.
    if (Math.abs(offset) < 5000) {
      return make(
        "clock_skew",
        `the assertion's iat/exp are outside the token endpoint's time window, though this clock agrees with its "Date" to within ${formatSeconds(offset)}`,
        "The assertion was probably reused or built with a wrong time: sign a new one for each exchange",
        { clockOffsetMs: offset },
      );
    }
    const direction = offset < 0 ? "ahead of" : "behind";
    return make(
      "clock_skew",
      `this machine's clock is ${formatSeconds(offset)} ${direction} the token endpoint's`,
      "Sync this machine's clock (e.g. with NTP: timedatectl set-ntp true), then retry",
      { clockOffsetMs: offset },
    );
  }
}
