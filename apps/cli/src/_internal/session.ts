import type { FetchLike, ServiceAccountKey, TokenSource } from "@dwd/auth";
import { resolveTimeout, stringArg, timeoutArg, urlArg } from "./args.ts";
import { checkKeyPath } from "./check-key-path.ts";
import type { Io } from "./io.ts";
import { createNodeFetch } from "./node-fetch.ts";
import { UsageError } from "./usage-error.ts";

/** A loaded key with its token source and the endpoints in effect. */
export interface Session {
  key: ServiceAccountKey;
  tokenSource: TokenSource;
  tokenUri: string;
  calendarRoot: string;
  /** The HTTP transport, bounded by the request deadline in effect. */
  fetch: FetchLike;
}

/** The key and endpoint flags, as the command functions take them. */
export interface KeyOptions {
  key?: string;
  keyEmail?: string;
  keyPassword?: string;
  clientId?: string;
  tokenUri?: string;
  apiRoot?: string;
  /** Deadline of one HTTP request in ms, from --timeout (default: DWD_TIMEOUT_MS, else 30 s). */
  timeoutMs?: number;
}

/** Reads the key and endpoint flags from parsed args. */
export function keyOptionsFrom(args: Record<string, unknown>): KeyOptions {
  return {
    key: stringArg(args, "key"),
    keyEmail: stringArg(args, "key-email"),
    keyPassword: stringArg(args, "key-password"),
    clientId: stringArg(args, "client-id"),
    tokenUri: urlArg(args, "token-uri"),
    apiRoot: urlArg(args, "api-root"),
    timeoutMs: timeoutArg(args),
  };
}

/**
 * Loads the key (throws KeyError) and builds the token source with the resolved endpoints. `delegatedScopes`:
 * every scope the client should hold, so a diagnosis links them all (the Admin-console link replaces the entry).
 */
export async function openSession(options: KeyOptions, io: Io, delegatedScopes?: string[]): Promise<Session> {
  const timeoutMs = resolveTimeout(options.timeoutMs, io.env);
  const { createTokenSource, loadKey, resolveEndpoints } = await import("@dwd/auth");
  if (options.key !== undefined) await checkKeyPath(options.key);
  else await checkKeyPath(io.env["GOOGLE_APPLICATION_CREDENTIALS"], "GOOGLE_APPLICATION_CREDENTIALS");
  const key = await loadKey(options.key, { email: options.keyEmail, password: options.keyPassword, clientId: options.clientId, env: io.env });
  let endpoints: { tokenUri: string; calendarRoot: string };
  try {
    endpoints = resolveEndpoints({ env: io.env, tokenUri: options.tokenUri, apiRoot: options.apiRoot, keyTokenUri: key.tokenUri });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), "Set DWD_EMULATOR_HOST to host:port, e.g. 127.0.0.1:8085, or unset it");
  }
  const { tokenUri, calendarRoot } = endpoints;
  // The flags are checked when parsed; the key's own token_uri is checked here, before anything is sent.
  if (!/^https?:\/\//i.test(tokenUri)) throw new UsageError(`Invalid token_uri "${tokenUri}" in the key: not an http:// or https:// URL`, "Use the key unchanged as downloaded, or give --token-uri");
  const fetch = createNodeFetch({ timeoutMs, deadlineMs: timeoutMs });
  const tokenSource = createTokenSource(key, { tokenUri, env: io.env, fetch, ...(delegatedScopes ? { delegatedScopes } : {}) });
  return { key, tokenSource, tokenUri, calendarRoot, fetch };
}
