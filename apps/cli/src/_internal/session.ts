import type { FetchLike, JwtSigner, ServiceAccountKey, TokenSource } from "@dwd/auth";
import {
  createIamSigner,
  createTokenSource,
  keySigner,
  loadKey,
  registerSecret,
  resolveEndpoints,
} from "@dwd/auth";
import { createNodeFetch } from "@dwd/calendar/node";
import { resolveTimeout, retriesArg, stringArg, timeoutArg, urlArg } from "./args.ts";
import { checkKeyPath } from "./check-key-path.ts";
import { atExit } from "./exit-tasks.ts";
import type { HttpStats } from "./http-log.ts";
import type { GrantMemory } from "./token-file.ts";
import { observeFetch, verboseFrom } from "./http-log.ts";
import type { Io } from "./io.ts";
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
  /** The HTTP transport, bounded by the request deadline in effect. */
  fetch: FetchLike;
  /** The deadline of one call, its retries included (--timeout), ms. */
  timeoutMs: number;
  /** --retries, when given. */
  retries?: number;
  /** Requests and token exchanges made through `fetch`, and retries (counted by whoever retries). */
  stats: HttpStats;
  /** With --verbose / DWD_LOG=http: writes one line of the HTTP log on stderr. */
  log?: (line: string) => void;
  /** Which scope the grant holds, remembered between runs (with the kept tokens; absent without them). */
  grants?: GrantMemory;
}

/** The key, signer and endpoint flags, as the command functions take them. */
export interface KeyOptions {
  key?: string;
  keyEmail?: string;
  keyPassword?: string;
  clientId?: string;
  tokenUri?: string;
  apiRoot?: string;
  /** Deadline of one call in ms, retries included, from --timeout (default: DWD_TIMEOUT_MS, else 30 s). */
  timeoutMs?: number;
  /** --retries: times a failed call is sent again (default: the library's). */
  retries?: number;
  /** --verbose: log every HTTP exchange on stderr (DWD_LOG=http does too). */
  verbose?: boolean;
  /** `iam`: keyless, the IAM Credentials API signs as `serviceAccount`; `--key` (or ADC) is the caller. */
  signer?: "key" | "iam";
  serviceAccount?: string;
  delegates?: string[];
  /** false with --no-token-cache: no tokens are read from or kept in the cache directory. */
  tokenCache?: boolean;
}

/** Reads the key, signer and endpoint flags from parsed args. */
export function keyOptionsFrom(args: Record<string, unknown>): KeyOptions {
  const signer = stringArg(args, "signer");
  if (signer !== undefined && signer !== "key" && signer !== "iam") {
    throw new UsageError(
      `Invalid --signer "${signer}": not "key" or "iam"`,
      "Give --signer key (a key file signs) or --signer iam (keyless: the IAM Credentials API signs)",
    );
  }
  const serviceAccount = stringArg(args, "service-account");
  const delegates = stringArg(args, "delegates")
    ?.split(/[\s,]+/)
    .filter((d) => d !== "");
  if (signer === "iam" && serviceAccount === undefined) {
    throw new UsageError(
      "Missing --service-account for --signer iam",
      "Give the email of the service account to act as, e.g. --service-account calendar-bot@PROJECT.iam.gserviceaccount.com",
    );
  }
  if (signer !== "iam" && (serviceAccount !== undefined || delegates !== undefined)) {
    throw new UsageError(
      `--${serviceAccount !== undefined ? "service-account" : "delegates"} needs --signer iam`,
      "Add --signer iam to sign keylessly as that service account (a key file signs as its own account)",
    );
  }
  return {
    key: stringArg(args, "key"),
    keyEmail: stringArg(args, "key-email"),
    keyPassword: stringArg(args, "key-password"),
    clientId: stringArg(args, "client-id"),
    tokenUri: urlArg(args, "token-uri"),
    apiRoot: urlArg(args, "api-root"),
    timeoutMs: timeoutArg(args),
    ...(retriesArg(args) !== undefined ? { retries: retriesArg(args) } : {}),
    ...(args["verbose"] === true ? { verbose: true } : {}),
    ...(signer !== undefined ? { signer } : {}),
    ...(serviceAccount !== undefined ? { serviceAccount } : {}),
    ...(delegates !== undefined ? { delegates } : {}),
    ...(args["token-cache"] === false ? { tokenCache: false } : {}),
  };
}

/**
 * Loads the key (throws KeyError), or with `--signer iam` makes the keyless signer (the caller: `--key`
 * if given, else Application Default Credentials), and builds the token source with the resolved
 * endpoints. `delegatedScopes`: every scope the client should hold, so a diagnosis links them all (the
 * Admin-console link replaces the entry).
 */
export async function openSession(
  options: KeyOptions,
  io: Io,
  delegatedScopes?: string[],
): Promise<Session> {
  const timeoutMs = resolveTimeout(options.timeoutMs, io.env);
  const iam = options.signer === "iam";
  // With --signer iam, --key names the caller's key; without --key the caller comes from ADC, not from loadKey.
  const needsKey = !iam || options.key !== undefined;
  if (options.key !== undefined) checkKeyPath(options.key);
  else if (!iam)
    checkKeyPath(io.env["GOOGLE_APPLICATION_CREDENTIALS"], "GOOGLE_APPLICATION_CREDENTIALS");
  const key = needsKey
    ? await loadKey(options.key, {
        email: options.keyEmail,
        password: options.keyPassword,
        ...(iam ? {} : { clientId: options.clientId }),
        env: io.env,
      })
    : undefined;
  let endpoints: { tokenUri: string; calendarRoot: string };
  try {
    endpoints = resolveEndpoints({
      env: io.env,
      tokenUri: options.tokenUri,
      apiRoot: options.apiRoot,
      ...(iam ? {} : { keyTokenUri: key?.tokenUri }),
    });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
      "Set DWD_EMULATOR_HOST to host:port, e.g. 127.0.0.1:8085, or unset it",
    );
  }
  const { tokenUri, calendarRoot } = endpoints;
  // The flags are checked when parsed; the key's own token_uri is checked here, before anything is sent.
  if (!/^https?:\/\//i.test(tokenUri)) {
    throw new UsageError(
      `Invalid token_uri "${tokenUri}" in the key: not an http:// or https:// URL`,
      "Use the key unchanged as downloaded, or give --token-uri",
    );
  }
  // @dwd/calendar's node:http transport, not `fetch`: Node loads its `fetch` (undici) on first use, which
  // costs a short-lived process ~35 ms, a third of a whole `dwd calendars get` against a local emulator
  // (measured with `--cpu-prof`); `node:http` is in Node's start-up snapshot. Every request is bounded in
  // time (silence and total) and in the size of its answer. Egress proxies: HTTPS_PROXY / HTTP_PROXY /
  // NO_PROXY (or lowercase) of the command's environment, as gcloud and Google's Node libraries read them.
  const stats: HttpStats = { requests: 0, tokenExchanges: 0, retries: 0 };
  const log =
    options.verbose === true || verboseFrom({}, io.env)
      ? (line: string) => io.err(line)
      : undefined;
  const fetch = observeFetch(
    createNodeFetch({ timeoutMs, deadlineMs: timeoutMs, proxyEnv: io.env }),
    stats,
    { log, tokenUri },
  );
  const signer = iam
    ? createIamSigner({
        serviceAccount: options.serviceAccount ?? "",
        env: io.env,
        fetch,
        ...(key ? { credentials: key } : {}),
        ...(options.delegates ? { delegates: options.delegates } : {}),
        ...(options.clientId ? { clientId: options.clientId } : {}),
      })
    : keySigner(key as ServiceAccountKey);
  // The token source resolves its endpoint as above (one function, the same inputs), so it knows
  // whether a .p12/PEM key went to Google only by default (its diagnosis then names DWD_EMULATOR_HOST).
  let source = createTokenSource(iam ? signer : (key as ServiceAccountKey), {
    ...(options.tokenUri !== undefined ? { tokenUri: options.tokenUri } : {}),
    env: io.env,
    fetch,
    timeoutMs,
    ...(delegatedScopes ? { delegatedScopes } : {}),
  });
  // Tokens of the last hour, kept between runs (sealed under a key only the private key can derive, so
  // keyless signing, which has no local key, does not keep them).
  const tokenFiles = !iam && key !== undefined ? await import("./token-file.ts") : undefined;
  let grants: GrantMemory | undefined;
  if (key !== undefined && tokenFiles?.tokenCacheEnabled(options.tokenCache, io.env) === true) {
    const { openTokenFile, tokenCacheDir, withTokenFile } = tokenFiles;
    const dir = tokenCacheDir(io.env);
    const file = await openTokenFile({ key, tokenUri, dir });
    atExit(`keep tokens in ${dir}`, () => file.flush());
    source = withTokenFile(source, file);
    grants = file.grants;
  }
  // The transport's module (node:http; node:https, with TLS, for Google) is loaded by the first request
  // that needs it (the bundle loads built-ins lazily). The first token asked for loads it instead, once its
  // exchange has started: while Web Crypto signs the assertion on another thread, this one loads the
  // module the exchange is about to post with (measured over 40 alternating runs: ~1 ms of a
  // `dwd calendars get` against the emulator; for Google the module is node:https with TLS).
  let transportLoaded = false;
  const loadTransport = (): void => {
    if (transportLoaded) return;
    transportLoaded = true;
    process.getBuiltinModule(tokenUri.startsWith("https:") ? "node:https" : "node:http");
  };
  // Every token this process obtains is registered, so the output redacts it even where it has no
  // recognisable shape (a non-Google endpoint's opaque token echoed back by an API).
  const tokenSource: TokenSource = Object.create(source, {
    getToken: {
      value: async (request: Parameters<TokenSource["getToken"]>[0]) => {
        const pending = source.getToken(request);
        loadTransport();
        const token = await pending;
        registerSecret(token.accessToken);
        return token;
      },
    },
  }) as TokenSource;
  return {
    ...(iam ? {} : { key }),
    signer,
    tokenSource,
    tokenUri,
    calendarRoot,
    fetch,
    timeoutMs,
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    stats,
    ...(log !== undefined ? { log } : {}),
    ...(grants !== undefined ? { grants } : {}),
  };
}
