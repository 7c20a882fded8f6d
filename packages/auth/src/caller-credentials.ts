/**
 * The caller's own credentials for keyless signing ("Application Default Credentials"), found in
 * Google's order: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's well-known file, then the metadata server.
 *
 * @module
 */

import { wellKnownCredentialsPath } from "./_internal/gcloud-paths.ts";
import { readEnv } from "./_internal/env.ts";
import { readFileBytes } from "./_internal/read-file.node.ts";
import { authorizedUserCaller } from "./_internal/caller-authorized-user.ts";
import { metadataCaller, metadataRoot } from "./_internal/caller-metadata.ts";
import { serviceAccountCaller } from "./_internal/caller-service-account.ts";
import type { FetchLike } from "./fetch-like.ts";
import { KeylessError } from "./keyless-error.ts";
import { MAX_KEY_BYTES, loadKey } from "./load-key.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";

/** Who is calling the IAM Credentials API, and how to get its access token. */
export interface CallerCredentials {
  /** A service-account key file, gcloud's user credentials, or the metadata server. */
  kind: "service_account" | "authorized_user" | "metadata";
  /** Where they came from: a file path or the metadata server's URL. */
  source: string;
  /** The caller as an IAM member (`serviceAccount:…`, `user:…`), when known without asking. */
  member?: string | undefined;
  /** The caller's project, when known without asking. */
  projectId?: string | undefined;
  /** An access token for `cloud-platform`, cached until shortly before it expires. */
  getToken(): Promise<string>;
  /** Forgets the cached token (e.g. after the API answered 401). */
  invalidate(): void;
  /** Member and project, asking the metadata server when needed; never throws. */
  describe(): Promise<{ member?: string | undefined; projectId?: string | undefined }>;
}

/** Options of {@link findCallerCredentials} and {@link callerFromKey}. */
export interface CallerCredentialsOptions {
  /** Transport for token requests; `globalThis.fetch` by default. */
  fetch?: FetchLike | undefined;
  /** Environment (GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CONFIG, HOME, APPDATA, GCE_METADATA_HOST, DWD_EMULATOR_HOST). */
  env?: Record<string, string | undefined> | undefined;
  /** Clock in ms; defaults to `Date.now`. */
  now?: (() => number) | undefined;
  /**
   * How long the metadata server has to answer, ms: 3,000 by default when it is only looked for (off
   * Google Cloud nothing may ever answer), 10,000 when `GCE_METADATA_HOST` names it.
   */
  metadataTimeoutMs?: number | undefined;
}

/** The scope a caller's token needs for `signJwt`. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

const LOGIN = "gcloud auth application-default login";

function invalid(path: string, what: string, hint: string, cause?: unknown): KeylessError {
  return new KeylessError(
    "ambient_credentials_invalid",
    `Cannot use the credentials in "${path}": ${what}`,
    { callerSource: path, hint, cause },
  );
}

async function fromFile(
  path: string,
  options: CallerCredentialsOptions,
  viaEnv: boolean,
): Promise<CallerCredentials | undefined> {
  const read = await readFileBytes(path, MAX_KEY_BYTES);
  if (!read.ok) {
    if (read.code === "ENOENT" && !viaEnv) return undefined;
    const why =
      read.code === "ENOENT"
        ? "no such file"
        : read.code === "ENOTREG"
          ? "it is not a regular file"
          : read.code === "EFBIG"
            ? `it is larger than ${MAX_KEY_BYTES.toLocaleString("en-US")} bytes, far more than a credentials file`
            : `the file cannot be read (${read.code})`;
    throw invalid(
      path,
      why,
      viaEnv
        ? "Point GOOGLE_APPLICATION_CREDENTIALS at a service-account key or an authorized_user file, or unset it"
        : `Run ${LOGIN} again, or remove the file`,
    );
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(read.bytes));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new TypeError("not an object");
    json = parsed as Record<string, unknown>;
  } catch (cause) {
    throw invalid(
      path,
      "the file is not a JSON object",
      `Run ${LOGIN} again, or point GOOGLE_APPLICATION_CREDENTIALS at a JSON key file`,
      cause,
    );
  }
  if (json["type"] === "service_account") {
    const key = await loadKey(json, { env: options.env ?? {} });
    return serviceAccountCaller(
      key,
      path,
      options,
      typeof json["project_id"] === "string" ? json["project_id"] : undefined,
    );
  }
  if (json["type"] === "authorized_user") return authorizedUserCaller(json, path, options);
  throw invalid(
    path,
    `credentials of type "${String(json["type"])}" cannot call the IAM Credentials API here`,
    `Use a service-account key or the file ${LOGIN} writes`,
  );
}

/**
 * Finds the caller's credentials as Google's libraries do: the file `GOOGLE_APPLICATION_CREDENTIALS`
 * names (a service-account key, exchanged for a `cloud-platform` token at its `token_uri`, or an
 * `authorized_user` file, refreshed with its refresh token), else gcloud's well-known file
 * (`$CLOUDSDK_CONFIG`, `%APPDATA%\gcloud` or `~/.config/gcloud`), else the metadata server
 * (`GCE_METADATA_HOST` or `metadata.google.internal`). Reads files only; the network is first used
 * by `getToken()`.
 *
 * @param options fetch, env and clock
 * @returns the caller's credentials
 * @throws {KeylessError} `ambient_credentials_invalid` when a named file is missing or not usable;
 *   from `getToken()`: `no_ambient_credentials`, `metadata_unreachable`, `metadata_error`,
 *   `caller_refresh_refused`, `caller_token_error`
 * @example
 * ```ts
 * const caller = await findCallerCredentials();
 * console.log(caller.kind, caller.source);
 * ```
 */
export async function findCallerCredentials(
  options: CallerCredentialsOptions = {},
): Promise<CallerCredentials> {
  const named = readEnv("GOOGLE_APPLICATION_CREDENTIALS", options.env)?.trim();
  const places: string[] = [`GOOGLE_APPLICATION_CREDENTIALS (${named ? `"${named}"` : "not set"})`];
  if (named) {
    const found = await fromFile(named, options, true);
    if (found) return found;
  }
  const wellKnown = wellKnownCredentialsPath(options.env);
  if (wellKnown !== undefined) {
    const found = await fromFile(wellKnown, options, false);
    if (found) return found;
  }
  places.push(
    wellKnown === undefined
      ? "gcloud's well-known file (no HOME or CLOUDSDK_CONFIG)"
      : `"${wellKnown}" (no such file)`,
  );
  places.push(`the metadata server "${metadataRoot(options.env)}"`);
  return metadataCaller(options, places);
}

/**
 * The caller's credentials from a service-account key you loaded (the `dwd` CLI's `--key` with
 * `--signer iam`): a `cloud-platform` token from the jwt-bearer grant at the key's token URI.
 *
 * @param key the caller's key, from `loadKey`
 * @param options fetch, env and clock
 * @returns the caller's credentials
 * @example
 * ```ts
 * const caller = callerFromKey(await loadKey("deployer.json"));
 * ```
 */
export function callerFromKey(
  key: ServiceAccountKey,
  options: CallerCredentialsOptions = {},
): CallerCredentials {
  return serviceAccountCaller(key, key.source ?? key.clientEmail, options, undefined);
}
