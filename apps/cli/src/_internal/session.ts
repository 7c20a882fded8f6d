import type { JwtSigner, ServiceAccountKey, TokenSource } from "@dwd/auth";
import { stringArg } from "./args.ts";
import type { Io } from "./io.ts";
import { nodeFetch } from "./node-fetch.ts";
import { UsageError } from "./usage-error.ts";

/** The signer with its token source and the endpoints in effect. */
export interface Session {
  /** The signing key (absent with --signer iam: the IAM Credentials API signs). */
  key?: ServiceAccountKey;
  /** Who signs: the key, or the IAM Credentials API. */
  signer: JwtSigner;
  tokenSource: TokenSource;
  tokenUri: string;
  calendarRoot: string;
}

/** The key, signer and endpoint flags, as the command functions take them. */
export interface KeyOptions {
  key?: string;
  keyEmail?: string;
  keyPassword?: string;
  clientId?: string;
  tokenUri?: string;
  apiRoot?: string;
  /** `iam`: keyless, the IAM Credentials API signs as `serviceAccount`; `--key` (or ADC) is the caller. */
  signer?: "key" | "iam";
  serviceAccount?: string;
  delegates?: string[];
}

/** Reads the key, signer and endpoint flags from parsed args. */
export function keyOptionsFrom(args: Record<string, unknown>): KeyOptions {
  const signer = stringArg(args, "signer");
  if (signer !== undefined && signer !== "key" && signer !== "iam") {
    throw new UsageError(`Invalid --signer "${signer}": not "key" or "iam"`, "Give --signer key (a key file signs) or --signer iam (keyless: the IAM Credentials API signs)");
  }
  const serviceAccount = stringArg(args, "service-account");
  const delegates = stringArg(args, "delegates")?.split(/[\s,]+/).filter((d) => d !== "");
  if (signer === "iam" && serviceAccount === undefined) {
    throw new UsageError("Missing --service-account for --signer iam", "Give the email of the service account to act as, e.g. --service-account calendar-bot@PROJECT.iam.gserviceaccount.com");
  }
  if (signer !== "iam" && (serviceAccount !== undefined || delegates !== undefined)) {
    throw new UsageError(`--${serviceAccount !== undefined ? "service-account" : "delegates"} needs --signer iam`, "Add --signer iam to sign keylessly as that service account (a key file signs as its own account)");
  }
  return {
    key: stringArg(args, "key"),
    keyEmail: stringArg(args, "key-email"),
    keyPassword: stringArg(args, "key-password"),
    clientId: stringArg(args, "client-id"),
    tokenUri: stringArg(args, "token-uri"),
    apiRoot: stringArg(args, "api-root"),
    ...(signer !== undefined ? { signer } : {}),
    ...(serviceAccount !== undefined ? { serviceAccount } : {}),
    ...(delegates !== undefined ? { delegates } : {}),
  };
}

/**
 * Loads the key (throws KeyError), or with `--signer iam` makes the keyless signer (the caller: `--key`
 * if given, else Application Default Credentials), and builds the token source with the resolved
 * endpoints. `delegatedScopes`: every scope the client should hold, so a diagnosis links them all (the
 * Admin-console link replaces the entry).
 */
export async function openSession(options: KeyOptions, io: Io, delegatedScopes?: string[]): Promise<Session> {
  const { createIamSigner, createTokenSource, keySigner, loadKey, resolveEndpoints } = await import("@dwd/auth");
  const iam = options.signer === "iam";
  // With --signer iam, --key names the caller's key; without --key the caller comes from ADC, not from loadKey.
  const key = !iam || options.key !== undefined ? await loadKey(options.key, { email: options.keyEmail, password: options.keyPassword, ...(iam ? {} : { clientId: options.clientId }), env: io.env }) : undefined;
  let endpoints: { tokenUri: string; calendarRoot: string };
  try {
    endpoints = resolveEndpoints({ env: io.env, tokenUri: options.tokenUri, apiRoot: options.apiRoot, ...(iam ? {} : { keyTokenUri: key?.tokenUri }) });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), "Set DWD_EMULATOR_HOST to host:port, e.g. 127.0.0.1:8085, or unset it");
  }
  const signer = iam
    ? createIamSigner({
        serviceAccount: options.serviceAccount ?? "",
        env: io.env,
        fetch: nodeFetch,
        ...(key ? { credentials: key } : {}),
        ...(options.delegates ? { delegates: options.delegates } : {}),
        ...(options.clientId ? { clientId: options.clientId } : {}),
      })
    : keySigner(key as ServiceAccountKey);
  const { tokenUri, calendarRoot } = endpoints;
  const tokenSource = createTokenSource(iam ? signer : (key as ServiceAccountKey), { tokenUri, env: io.env, fetch: nodeFetch, ...(delegatedScopes ? { delegatedScopes } : {}) });
  return { ...(iam ? {} : { key }), signer, tokenSource, tokenUri, calendarRoot };
}
