/**
 * `createTokenSource()`: delegated access tokens with a per-(subject, scopes) cache, one shared
 * exchange for concurrent callers, refresh before expiry, a bounded LRU and a deadline on every
 * exchange.
 *
 * @module
 */

import { diagnoseTokenError } from "./diagnose-token-error.ts";
import { defaultFetch } from "./fetch-like.ts";
import type { FetchLike, FetchLikeResponse } from "./fetch-like.ts";
import type { TokenEndpointFailure } from "./diagnose-token-error.ts";
import { DelegationError } from "./errors.ts";
import { registerSecret } from "./redact.ts";
import {
  AnswerTooLargeError,
  discardAnswer,
  isRedirect,
  readAnswer,
} from "./_internal/read-answer.ts";
import { resolveEndpoints } from "./resolve-endpoints.ts";
import { nothingListens, retryAfterSeconds, retryDelay, retryPolicy } from "./retry-policy.ts";
import type { RetryOptions } from "./retry-policy.ts";
import { GOOGLE_TOKEN_URI } from "./service-account-key.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";
import { withEmulatorHint } from "./_internal/default-endpoint-hint.ts";
import {
  MAX_ASSERTION_LENGTH,
  MAX_SCOPE_CLAIM_LENGTH,
  MAX_SUBJECT_LENGTH,
  buildClaims,
  normalizeScopes,
  normalizeSubject,
} from "./sign-jwt.ts";
import { isJwtSigner, keySigner } from "./signer.ts";
import type { JwtSigner } from "./signer.ts";

/** The jwt-bearer grant type (RFC 7523). */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Python google-auth refreshes when fewer than 3 min 45 s remain; so do we. */
export const DEFAULT_REFRESH_MARGIN_MS = 225_000;

/** The default deadline of one token exchange: 30 s from signing to the last byte of the answer. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

// setTimeout holds at most 2^31 - 1 ms; a longer delay fires at once.
const MAX_TIMER_MS = 2_147_483_647;

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /** The fetch used for the token endpoint (e.g. an emulator's handler); `globalThis.fetch` by default. */
  fetch?: FetchLike | undefined;
  /** Clock in ms; defaults to `Date.now`. */
  now?: (() => number) | undefined;
  /** Token endpoint; wins over `DWD_EMULATOR_HOST` and the key's `token_uri`. */
  tokenUri?: string | undefined;
  /**
   * Cache bound (entries of subject × scopes); least recently used go first. An entry whose exchange
   * is in flight is never evicted, so the cache may exceed the bound while exchanges run. Default 10,000.
   */
  maxEntries?: number | undefined;
  /** Refresh a cached token when less than this remains. Default 225,000 ms (3 min 45 s). */
  refreshMarginMs?: number | undefined;
  /** Environment to read `DWD_EMULATOR_HOST` from; defaults to the runtime's. */
  env?: Record<string, string | undefined> | undefined;
  /**
   * Every scope this client is meant to hold under domain-wide delegation; diagnoses list all of them
   * in the prefilled Admin-console link, since the link replaces the entry. Default: the scopes of the
   * failing request.
   */
  delegatedScopes?: readonly string[] | undefined;
  /**
   * Deadline of one token exchange in ms, from signing to the last byte of the answer (not an idle
   * timeout: an endpoint that trickles its answer is cut off too). Default 30,000;
   * `Number.POSITIVE_INFINITY` waits for ever.
   */
  timeoutMs?: number | undefined;
  /**
   * How transient failures of the token endpoint are retried (429, 5xx, `internal_failure`, a reset
   * connection; not a refused one): the same policy as `@dwd/calendar`'s API calls, inside the deadline
   * (`timeoutMs`) and the callers' signals, and still one exchange in flight per (subject, scopes).
   * Default 5 retries, full jitter from 1 s up to 32 s, `Retry-After` honoured; `false` for none.
   */
  retry?: RetryOptions | false | undefined;
}

/** An access token for one subject and scope set. */
export interface AccessToken {
  /** The bearer token. Never log it (it is registered with `registerSecret`, so dwd's errors redact it). */
  accessToken: string;
  /** Expiry in ms since the epoch (local clock). */
  expiresAt: number;
  /** The impersonated user, when any. */
  subject?: string | undefined;
  /** The scopes, sorted and unique. */
  scopes: readonly string[];
}

/** What {@link TokenSource.getToken} asks for. */
export interface GetTokenOptions {
  /**
   * The user to impersonate; omit to act as the service account itself. Surrounding whitespace is
   * trimmed; an empty subject, or one with whitespace or a control character inside, is a `TypeError`.
   */
  subject?: string | undefined;
  /** OAuth scopes; at least one. */
  scopes: readonly string[];
  /**
   * Abandons this call: it rejects with the signal's reason. An exchange other callers still wait for
   * goes on; one nobody waits for any more is aborted.
   */
  signal?: AbortSignal | undefined;
}

/** Counters of a {@link TokenSource}. */
export interface TokenSourceStats {
  /** Token-endpoint requests made. */
  exchanges: number;
  /** Calls answered from the cache or by joining an exchange in flight. */
  hits: number;
}

/** Hands out delegated access tokens. */
export interface TokenSource {
  /** The signing key, when the source was made from one (absent for keyless signers). */
  key?: ServiceAccountKey | undefined;
  /** Who signs the assertions: the key's local signer, or a keyless one. */
  signer: JwtSigner;
  /** The token endpoint this source posts to. */
  tokenUri: string;
  /**
   * A token for `subject` with `scopes`: from the cache while it has more than the refresh margin
   * left, else from one exchange shared by every concurrent caller. When that exchange fails while the
   * cached token has not yet expired, the cached token is returned (a refresh failure is not an outage
   * for callers until the token really expires).
   */
  getToken(options: GetTokenOptions): Promise<AccessToken>;
  /** Forgets the cached token for one subject and scope set (e.g. after an API answered 401). */
  invalidate(options: GetTokenOptions): void;
  /**
   * Drops every cached token. An exchange in flight is not abandoned: callers that come while it runs
   * join it rather than starting another.
   */
  clear(): void;
  /** Counters. */
  stats: TokenSourceStats;
}

function cacheId(subject: string | undefined, sortedScopes: readonly string[]): string {
  return `${subject ?? ""}\n${sortedScopes.join(" ")}`;
}

/** One exchange in flight: the promise every caller shares, and who still waits for it. */
interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  /** Callers that can still abandon it; `Infinity` once a caller without a signal joined. */
  waiters: number;
}

interface Entry {
  token?: AccessToken | undefined;
  flight?: Flight | undefined;
}

/** True when the transport gave up waiting (Node's `ETIMEDOUT`, a `TimeoutError`). */
function timedOutInTransport(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === "ETIMEDOUT" || e.name === "TimeoutError") return true;
  }
  return false;
}

// The Retry-After of a refusal, kept beside the error Google's answer was diagnosed as.
const retryAfter = new WeakMap<DelegationError, number | undefined>();

/** What the exchange was doing when its deadline passed. */
type Phase = "signing" | "waiting" | "reading" | "retrying";

/**
 * Creates a token source for a service-account key, or for any {@link JwtSigner} (keyless delegation).
 *
 * @param keyOrSigner the key from {@link loadKey}, or a signer
 * @param options fetch, now, token URI, cache bound, refresh margin, env, the client's delegated scopes,
 *   deadline
 * @returns the token source
 * @throws {RangeError} when `maxEntries` or `timeoutMs` is not positive
 * @throws {TypeError} from `getToken()` when `scopes` is empty or the subject is empty or holds
 *   whitespace (never silently drops the subject)
 * @throws {DelegationError} from `getToken()`: `assertion_too_large` before sending, when the subject
 *   or the scopes exceed what Google accepts; `token_endpoint_timeout` when the deadline passes; and
 *   when the token endpoint refuses and no unexpired token is cached: see `diagnoseTokenError`
 * @example
 * ```ts
 * const source = createTokenSource(await loadKey("key.json"), { timeoutMs: 10_000 });
 * const { accessToken } = await source.getToken({ subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function createTokenSource(
  keyOrSigner: ServiceAccountKey | JwtSigner,
  options: TokenSourceOptions = {},
): TokenSource {
  const key = isJwtSigner(keyOrSigner) ? undefined : keyOrSigner;
  const signer = isJwtSigner(keyOrSigner) ? keyOrSigner : keySigner(keyOrSigner);
  const doFetch = options.fetch ?? defaultFetch;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new RangeError("maxEntries must be a positive integer");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs <= 0)
    throw new RangeError("timeoutMs must be a positive number of milliseconds");
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const retry = retryPolicy(options.retry);
  const endpoints = resolveEndpoints({
    env: options.env,
    tokenUri: options.tokenUri,
    keyTokenUri: signer.tokenUri,
  });
  const tokenUri = endpoints.tokenUri;
  // A .p12/PEM key at Google's endpoint by default: its failures say how to reach the emulator instead.
  const keyKind = signer.kind === "p12" || signer.kind === "pem" ? signer.kind : undefined;
  const explain = (error: unknown): unknown =>
    keyKind !== undefined && endpoints.tokenUriFrom === "key" && tokenUri === GOOGLE_TOKEN_URI
      ? withEmulatorHint(error, keyKind)
      : error;
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const cache = new Map<string, Entry>();
  const stats: TokenSourceStats = { exchanges: 0, hits: 0 };
  const delegatedScopes = options.delegatedScopes ? [...options.delegatedScopes] : undefined;

  function touch(id: string, entry: Entry): void {
    cache.delete(id);
    cache.set(id, entry);
    if (cache.size <= maxEntries) return;
    // Evict the least recently used entries with no exchange in flight: evicting one in flight would
    // let the next caller start a second exchange for the same (subject, scopes).
    for (const [oldId, old] of cache) {
      if (cache.size <= maxEntries) break;
      if (!old.flight) cache.delete(oldId);
    }
  }

  function who(subject: string | undefined): string {
    return subject !== undefined ? `"${subject}"` : `service account "${signer.clientEmail}"`;
  }

  function facts(
    subject: string | undefined,
    scopes: string[],
  ): {
    clientEmail: string;
    scopes: string[];
    tokenUri: string;
    subject?: string | undefined;
    clientId?: string | undefined;
    keyId?: string | undefined;
  } {
    return {
      clientEmail: signer.clientEmail,
      scopes,
      tokenUri,
      ...(subject !== undefined ? { subject } : {}),
      ...(signer.clientId ? { clientId: signer.clientId } : {}),
      ...(signer.privateKeyId ? { keyId: signer.privateKeyId } : {}),
    };
  }

  /** Google's limits, checked before anything is signed or sent. */
  function checkSize(subject: string | undefined, scopes: string[]): DelegationError | undefined {
    const hint =
      "Send less: one user's primary email as the subject, and only the scopes this client needs (one token per scope set)";
    if (subject !== undefined && subject.length > MAX_SUBJECT_LENGTH) {
      // The subject itself is left out of the facts: it is what is too large to show.
      return new DelegationError(
        "assertion_too_large",
        `Cannot get a token for a subject of ${subject.length.toLocaleString("en-US")} characters: an email address has at most ${MAX_SUBJECT_LENGTH}, and Google refuses an assertion this large`,
        {
          ...facts(undefined, scopes),
          hint: "Pass the user's primary email address as the subject",
        },
      );
    }
    const claim = scopes.join(" ").length;
    if (claim > MAX_SCOPE_CLAIM_LENGTH) {
      return new DelegationError(
        "assertion_too_large",
        `Cannot get a token for ${who(subject)}: the ${scopes.length.toLocaleString("en-US")} scopes take ${claim.toLocaleString("en-US")} characters, above the ${MAX_SCOPE_CLAIM_LENGTH.toLocaleString("en-US")} dwd sends (Google refuses an assertion this large)`,
        { ...facts(subject, []), hint },
      );
    }
    return undefined;
  }

  function timeoutError(
    phase: Phase,
    subject: string | undefined,
    scopes: string[],
    last: DelegationError | undefined,
    attempts: number,
  ): DelegationError {
    const limit =
      timeoutMs >= 1000 ? `${(timeoutMs / 1000).toLocaleString("en-US")} s` : `${timeoutMs} ms`;
    const what =
      phase === "signing"
        ? `signing the assertion took longer than ${limit}`
        : phase === "retrying"
          ? `the token endpoint "${tokenUri}" was still failing (${last?.code ?? "error"}) when the deadline of ${limit} passed, after ${attempts} attempt${attempts === 1 ? "" : "s"}`
          : phase === "waiting"
            ? `the token endpoint "${tokenUri}" did not answer within ${limit}${attempts > 1 ? ` (attempt ${attempts})` : ""}`
            : `the token endpoint "${tokenUri}" did not finish its answer within ${limit}`;
    return new DelegationError(
      "token_endpoint_timeout",
      `Cannot get a token for ${who(subject)}: ${what}`,
      {
        ...facts(subject, scopes),
        retryable: true,
        hint: "Check the network, proxy and DNS (with DWD_EMULATOR_HOST set, that the emulator is running); if the endpoint is slow but working, raise timeoutMs",
      },
    );
  }

  /**
   * Whether a failed attempt is transient: an answer Google sends when busy, or a connection that broke.
   * Not: nothing listening (the one rule of `retry-policy.ts`), nor a request the caller's transport
   * timed out (`ETIMEDOUT`: the time the caller allowed is spent; the exchange's own deadline is
   * `timeoutMs`).
   */
  function transient(error: unknown): error is DelegationError {
    return (
      error instanceof DelegationError &&
      error.retryable &&
      (error.code === "token_endpoint_unavailable" ||
        (error.code === "token_endpoint_unreachable" &&
          !nothingListens(error.cause) &&
          !timedOutInTransport(error.cause)))
    );
  }

  /** The last failure, saying that it was retried (its hint no longer tells the caller to retry). */
  function afterRetries(error: DelegationError, attempts: number): DelegationError {
    return new DelegationError(error.code, `${error.message} (after ${attempts} attempts)`, {
      ...facts(error.subject, error.scopes),
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.oauthError !== undefined ? { oauthError: error.oauthError } : {}),
      ...(error.oauthErrorDescription !== undefined
        ? { oauthErrorDescription: error.oauthErrorDescription }
        : {}),
      retryable: true,
      cause: error.cause,
      hint:
        error.code === "token_endpoint_unavailable"
          ? `The token endpoint kept failing through ${attempts - 1} retries with backoff: it is having an outage; try again in a few minutes, or allow more with the token source's retry option`
          : (error.hint ?? ""),
    });
  }

  async function exchange(
    subject: string | undefined,
    scopes: string[],
    controller: AbortController,
  ): Promise<AccessToken> {
    const context = {
      key: signer,
      scopes,
      tokenUri,
      ...(subject !== undefined ? { subject } : {}),
      ...(delegatedScopes ? { delegatedScopes } : {}),
    };
    let phase: Phase = "signing";
    let attempts = 0;
    const startedAt = Date.now();
    let last: DelegationError | undefined;
    // One deadline for the whole exchange, retries included. Raced rather than left to the fetch: a
    // fetch (or body) that ignores its signal still cannot hold the caller past it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () => {
            const error = timeoutError(phase, subject, scopes, last, attempts);
            controller.abort(error);
            reject(error);
          },
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
      }
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    deadline.catch(() => undefined);
    const within = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, deadline]);

    /** One POST of the assertion; its answer as a token, or the diagnosed refusal. */
    async function attempt(assertion: string): Promise<AccessToken> {
      stats.exchanges++;
      attempts++;
      phase = "waiting";
      const sentAt = now();
      let response: FetchLikeResponse;
      try {
        response = await within(
          doFetch(tokenUri, {
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              accept: "application/json",
            },
            body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
            signal: controller.signal,
            // The assertion is redeemable by whoever receives it: it goes to the token URI only.
            redirect: "manual",
          }),
        );
      } catch (networkError) {
        if (controller.signal.aborted) throw controller.signal.reason as Error;
        throw diagnoseTokenError({ networkError }, context);
      }
      if (isRedirect(response.status)) {
        const location = response.headers.get("location");
        await within(discardAnswer(response)).catch(() => undefined);
        throw new DelegationError(
          "token_endpoint_redirected",
          `Cannot get a token for ${who(subject)}: the token endpoint "${tokenUri}" answered ${response.status}, a redirect${location ? ` to "${location}"` : ""}, which dwd does not follow with a signed assertion`,
          {
            ...facts(subject, scopes),
            status: response.status,
            hint: "Set the token URI (tokenUri, --token-uri, or the key's token_uri) to the endpoint itself, https://oauth2.googleapis.com/token for Google, not to an address that redirects",
          },
        );
      }
      phase = "reading";
      let text: string;
      try {
        text = await within(readAnswer(response));
      } catch (networkError) {
        if (networkError instanceof AnswerTooLargeError && !controller.signal.aborted) {
          throw new DelegationError(
            "token_endpoint_error",
            `Cannot get a token for ${who(subject)}: the token endpoint's answer (${response.status}) is larger than ${networkError.limit.toLocaleString("en-US")} bytes once decoded; a token answer is a few KB`,
            {
              ...facts(subject, scopes),
              status: response.status,
              hint: "Check that the token URI points at Google's token endpoint (or the emulator), and any proxy in between",
            },
          );
        }
        // A body cut off by the deadline is the deadline's; by the network (or a transport's own bound),
        // the endpoint could not be read: diagnosed as unreachable, not as an answer without a token.
        if (controller.signal.aborted) throw controller.signal.reason as Error;
        throw diagnoseTokenError({ networkError }, context);
      }
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const failure: TokenEndpointFailure = {
        status: response.status,
        body,
        date: response.headers.get("date"),
      };
      if (!response.ok) {
        const error = diagnoseTokenError(failure, { ...context, now: now() });
        retryAfter.set(error, retryAfterSeconds(response.headers.get("retry-after"), now()));
        throw error;
      }
      const json = body as { access_token?: unknown; expires_in?: unknown } | null;
      const accessToken =
        typeof json === "object" && json !== null && typeof json.access_token === "string"
          ? json.access_token
          : undefined;
      if (!accessToken) {
        throw new DelegationError(
          "token_endpoint_error",
          `Cannot get a token for ${who(subject)}: the token endpoint answered ${response.status} without an access token`,
          {
            ...facts(subject, scopes),
            status: response.status,
            hint: "Check that the token URI points at Google's token endpoint (or the emulator)",
            cause: typeof body === "string" ? undefined : body,
          },
        );
      }
      // From now on no error of dwd's can show it, whatever echoes it.
      registerSecret(accessToken);
      const expiresIn = Number(json?.expires_in);
      return {
        accessToken,
        expiresAt: sentAt + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
        ...(subject !== undefined ? { subject } : {}),
        scopes,
      };
    }

    try {
      const claims = buildClaims(signer, { subject, scopes, audience: tokenUri, now: now() });
      const assertion = await within(signer.sign(claims, { signal: controller.signal }));
      if (assertion.length > MAX_ASSERTION_LENGTH) {
        throw new DelegationError(
          "assertion_too_large",
          `Cannot get a token for ${who(subject)}: the signed assertion is ${assertion.length.toLocaleString("en-US")} characters, above the ${MAX_ASSERTION_LENGTH.toLocaleString("en-US")} dwd sends (Google refuses an assertion this large)`,
          { ...facts(subject, scopes), hint: "Send fewer scopes, or a shorter subject" },
        );
      }
      // The same assertion is posted again on a transient failure (as Google's libraries do): it stays
      // valid for an hour, and the deadline ends the exchange long before.
      for (let retries = 0; ; retries++) {
        try {
          return await attempt(assertion);
        } catch (error) {
          if (controller.signal.aborted || !transient(error)) throw error;
          if (retries >= retry.retries) throw retries === 0 ? error : afterRetries(error, attempts);
          const delay = retryDelay(retry, retries, retryAfter.get(error));
          // A wait that would end past the deadline is not started: the failure is said as it is (an
          // outage, with Google's status), not as a timeout that only the waiting caused.
          if (Number.isFinite(timeoutMs) && Date.now() - startedAt + delay >= timeoutMs)
            throw retries === 0 ? error : afterRetries(error, attempts);
          last = error;
          phase = "retrying";
          await within(retry.sleep(delay, controller.signal));
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The flight's promise for one caller: rejects with the caller's abort reason when it aborts. */
  function join(flight: Flight, signal: AbortSignal | undefined): Promise<AccessToken> {
    if (!signal) {
      flight.waiters = Number.POSITIVE_INFINITY;
      return flight.promise;
    }
    flight.waiters++;
    return new Promise<AccessToken>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal.reason as Error);
        // The last caller gone: nobody needs the answer, so stop asking.
        if (--flight.waiters === 0) flight.controller.abort(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (token) => {
          signal.removeEventListener("abort", onAbort);
          resolve(token);
        },
        (error: Error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  return {
    ...(key ? { key } : {}),
    signer,
    tokenUri,
    stats,
    clear(): void {
      for (const [id, entry] of cache) {
        delete entry.token;
        if (!entry.flight) cache.delete(id);
      }
    },
    invalidate(request: GetTokenOptions): void {
      const entry = cache.get(
        cacheId(normalizeSubject(request.subject), normalizeScopes(request.scopes)),
      );
      if (entry) delete entry.token;
    },
    getToken(request: GetTokenOptions): Promise<AccessToken> {
      let scopes: string[];
      let subject: string | undefined;
      try {
        scopes = normalizeScopes(request?.scopes);
        subject = normalizeSubject(request.subject);
      } catch (error) {
        return Promise.reject(
          error instanceof TypeError
            ? new TypeError(`getToken(): ${error.message}`)
            : (error as Error),
        );
      }
      const signal = request.signal;
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      const tooLarge = checkSize(subject, scopes);
      if (tooLarge) return Promise.reject(tooLarge);
      const id = cacheId(subject, scopes);
      const entry = cache.get(id) ?? {};
      if (entry.token && entry.token.expiresAt - margin > now()) {
        stats.hits++;
        touch(id, entry);
        return Promise.resolve(entry.token);
      }
      // A flight every caller abandoned is aborted: it is no longer one to join.
      if (entry.flight && !entry.flight.controller.signal.aborted) {
        stats.hits++;
        touch(id, entry);
        return join(entry.flight, signal);
      }
      const controller = new AbortController();
      const flight: Flight = {
        controller,
        waiters: 0,
        promise: undefined as unknown as Promise<AccessToken>,
      };
      flight.promise = exchange(subject, scopes, controller).then(
        (token) => {
          if (entry.flight === flight) delete entry.flight;
          entry.token = token;
          return token;
        },
        (error: unknown) => {
          if (entry.flight === flight) delete entry.flight;
          // A failed proactive refresh: the cached token is still valid, so hand it out; the next call
          // inside the margin tries again, and the error surfaces once the token has really expired.
          if (entry.token && entry.token.expiresAt > now()) return entry.token;
          throw explain(error);
        },
      );
      entry.flight = flight;
      touch(id, entry);
      return join(flight, signal);
    },
  };
}
