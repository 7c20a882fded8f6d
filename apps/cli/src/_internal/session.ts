import type { ServiceAccountKey, TokenSource } from "@dwd/auth";
import { stringArg } from "./args.ts";
import type { Io } from "./io.ts";
import { nodeFetch } from "./node-fetch.ts";
import { UsageError } from "./usage-error.ts";

/** A loaded key with its token source and the endpoints in effect. */
export interface Session {
  key: ServiceAccountKey;
  tokenSource: TokenSource;
  tokenUri: string;
  calendarRoot: string;
}

/** The key and endpoint flags, as the command functions take them. */
export interface KeyOptions {
  key?: string;
  keyEmail?: string;
  keyPassword?: string;
  clientId?: string;
  tokenUri?: string;
  apiRoot?: string;
}

/** Reads the key and endpoint flags from parsed args. */
export function keyOptionsFrom(args: Record<string, unknown>): KeyOptions {
  return {
    key: stringArg(args, "key"),
    keyEmail: stringArg(args, "key-email"),
    keyPassword: stringArg(args, "key-password"),
    clientId: stringArg(args, "client-id"),
    tokenUri: stringArg(args, "token-uri"),
    apiRoot: stringArg(args, "api-root"),
  };
}

/**
 * Loads the key (throws KeyError) and builds the token source with the resolved endpoints. `delegatedScopes`:
 * every scope the client should hold, so a diagnosis links them all (the Admin-console link replaces the entry).
 */
export async function openSession(options: KeyOptions, io: Io, delegatedScopes?: string[]): Promise<Session> {
  const { createTokenSource, loadKey, resolveEndpoints } = await import("@dwd/auth");
  const key = await loadKey(options.key, { email: options.keyEmail, password: options.keyPassword, clientId: options.clientId, env: io.env });
  let endpoints: { tokenUri: string; calendarRoot: string };
  try {
    endpoints = resolveEndpoints({ env: io.env, tokenUri: options.tokenUri, apiRoot: options.apiRoot, keyTokenUri: key.tokenUri });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), "Set DWD_EMULATOR_HOST to host:port, e.g. 127.0.0.1:8085, or unset it");
  }
  const { tokenUri, calendarRoot } = endpoints;
  const tokenSource = createTokenSource(key, { tokenUri, env: io.env, fetch: nodeFetch, ...(delegatedScopes ? { delegatedScopes } : {}) });
  return { key, tokenSource, tokenUri, calendarRoot };
}
