import type { ArgsDef } from "citty";
import { UsageError } from "./usage-error.ts";

/** Endpoint overrides accepted by every command. */
export const endpointArgs = {
  "token-uri": {
    type: "string",
    valueHint: "url",
    description: "Token endpoint (overrides DWD_EMULATOR_HOST and the key's token_uri)",
  },
  "api-root": {
    type: "string",
    valueHint: "url",
    description:
      "Calendar API root (default https://www.googleapis.com/calendar/v3, or from DWD_EMULATOR_HOST)",
  },
  timeout: {
    type: "string",
    valueHint: "duration",
    description:
      "Longest time one call may take, its retries and their waits included, e.g. 30s, 500ms, 2m (default: $DWD_TIMEOUT_MS or 30s)",
  },
  verbose: {
    type: "boolean",
    description:
      "Print each HTTP exchange, retry and wait on stderr, secrets redacted (also: DWD_LOG=http)",
  },
} as const satisfies ArgsDef;

/** `--retries`, on the commands that call the Calendar API (and before any command, to be carried to it). */
export const retriesArgs = {
  retries: {
    type: "string",
    valueHint: "n",
    description:
      "Times a Calendar call that failed for a passing reason (429, 5xx, a reset) is sent again, 0–10 (default 5)",
  },
} as const satisfies ArgsDef;

/** The most retries `--retries` accepts: past it, the waits (up to 32 s each) outlast any sensible deadline. */
export const maxRetries = 10;

/** `--retries N` (0 turns retrying off); undefined when absent (the library's default, 5). */
export function retriesArg(args: Record<string, unknown>): number | undefined {
  const value = stringArg(args, "retries");
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > maxRetries)
    throw new UsageError(
      `Invalid --retries "${value}": not a number from 0 to ${maxRetries}`,
      "Give how many times a failed call is sent again, e.g. --retries 3 (0: never)",
    );
  return n;
}

/** Keyless signing: the IAM Credentials API signs as --service-account; --key (or ADC) is then the caller. */
export const signerArgs = {
  signer: {
    type: "string",
    valueHint: "key|iam",
    description:
      "Who signs the assertion: key (the key file, default) or iam (keyless: the IAM Credentials API, called as --key or Application Default Credentials)",
  },
  "service-account": {
    type: "string",
    valueHint: "email",
    description:
      "With --signer iam: the service account to act as (the one the delegation is granted to)",
  },
  delegates: {
    type: "string",
    valueHint: "emails",
    description:
      "With --signer iam: service accounts between the caller and --service-account, comma-separated",
  },
} as const satisfies ArgsDef;

/** How to find and open the service-account key. */
export const keyArgs = {
  key: {
    type: "string",
    valueHint: "file",
    description:
      "Service-account key: JSON, .p12 or PEM file (default: $GOOGLE_APPLICATION_CREDENTIALS)",
  },
  "key-email": {
    type: "string",
    valueHint: "email",
    description: "Service-account email (required for a .p12 or PEM key)",
  },
  "key-password": {
    type: "string",
    valueHint: "password",
    description: ".p12 password (default: notasecret)",
  },
  "client-id": {
    type: "string",
    valueHint: "id",
    description:
      "Numeric client ID of the service account, for diagnoses with a .p12 or PEM key or --signer iam",
  },
  "token-cache": {
    type: "boolean",
    description:
      "Keep tokens between runs, encrypted in the user's cache directory (default; --no-token-cache: mint anew)",
  },
  ...signerArgs,
} as const satisfies ArgsDef;

/** The user to impersonate. */
export const subjectArg = {
  subject: {
    type: "string",
    valueHint: "user",
    description:
      "User to impersonate with domain-wide delegation (without it: the service account itself)",
  },
} as const satisfies ArgsDef;

/** Machine-readable output. */
export const jsonArg = {
  json: { type: "boolean", description: "Print JSON instead of text" },
} as const satisfies ArgsDef;

type Parsed = Record<string, unknown>;

/** A string flag's value; `undefined` when absent; a usage error when given empty. */
export function stringArg(args: Parsed, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === false) return undefined;
  if (typeof value !== "string" || value === "")
    throw new UsageError(`Missing value for --${name}`, `Give it as --${name} <value>`);
  return value;
}

/**
 * `--subject`: one user's email. Surrounding white space is dropped; white space or a control character
 * inside is refused here, as bad input (exit 2), before the library would refuse it as a programming error.
 */
export function subjectFrom(args: Parsed): string | undefined {
  const value = stringArg(args, "subject")?.trim();
  if (value === undefined) return undefined;
  if (value === "" || /[\s\p{Cc}\p{Cf}]/u.test(value)) {
    throw new UsageError(
      `Invalid --subject "${value}": it holds white space or a control character`,
      "Give one user's email address, e.g. --subject ana@example.com",
    );
  }
  return value;
}

const scopePrefix = "https://www.googleapis.com/auth/";

/** Splits `--scopes` on commas and spaces; a bare name like `calendar.readonly` gets Google's scope prefix. */
export function parseScopes(value: string | undefined, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  const scopes = value
    .split(/[\s,]+/)
    .filter((s) => s !== "")
    .map((s) => (s.includes(":") ? s : `${scopePrefix}${s}`));
  if (scopes.length === 0)
    throw new UsageError(
      "Missing value for --scopes",
      "Give one or more scopes, comma-separated, e.g. --scopes calendar.readonly",
    );
  return [...new Set(scopes)];
}

/** The scope the CLI's calendar commands request by default (any one of calendarList's scopes would do). */
export const defaultScopes: readonly string[] = [`${scopePrefix}calendar.readonly`];

/** An http(s) URL flag's value; a usage error for anything else (`file:`, `ftp:`, not a URL at all). */
export function urlArg(args: Parsed, name: string): string | undefined {
  const value = stringArg(args, name);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(
      `Invalid --${name} "${value}": not an http:// or https:// URL`,
      `Give a URL such as ${name === "token-uri" ? "http://127.0.0.1:8085/token" : "http://127.0.0.1:8085/calendar/v3"}, or leave --${name} out`,
    );
  }
  return value;
}

/** The default deadline of one HTTP request. */
export const defaultTimeoutMs = 30_000;
/** The longest deadline accepted (a day): beyond it a typo is likelier than a wish. */
const maxTimeoutMs = 86_400_000;
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Math.round(Number(match[1]) * (units[match[2] ?? "s"] ?? 1000));
  return ms >= 1 && ms <= maxTimeoutMs ? ms : undefined;
}

/** `--timeout`, in ms: a number of seconds, or with a unit (500ms, 30s, 2m); `undefined` when absent. */
export function timeoutArg(args: Parsed): number | undefined {
  const flag = stringArg(args, "timeout");
  if (flag === undefined) return undefined;
  const ms = parseDuration(flag);
  if (ms === undefined)
    throw new UsageError(
      `Invalid --timeout "${flag}": not a duration between 1 ms and 24 h`,
      "Give seconds or a number with a unit, e.g. --timeout 30s, --timeout 500ms, --timeout 2m",
    );
  return ms;
}

/**
 * The deadline of one call, in ms: `--timeout` when given, else `DWD_TIMEOUT_MS` (milliseconds), else
 * 30 s. It bounds the whole call, its retries and their waits included; and each HTTP request in it,
 * answer included, not only silence.
 */
export function resolveTimeout(
  flagMs: number | undefined,
  env: Record<string, string | undefined>,
): number {
  if (flagMs !== undefined) return flagMs;
  const fromEnv = env["DWD_TIMEOUT_MS"]?.trim();
  if (fromEnv === undefined || fromEnv === "") return defaultTimeoutMs;
  const ms = /^\d+$/.test(fromEnv) ? Number(fromEnv) : Number.NaN;
  if (!(ms >= 1 && ms <= maxTimeoutMs))
    throw new UsageError(
      `Invalid DWD_TIMEOUT_MS "${fromEnv}": not a number of milliseconds between 1 and 86400000`,
      "Set it to milliseconds, e.g. DWD_TIMEOUT_MS=30000, or unset it",
    );
  return ms;
}
