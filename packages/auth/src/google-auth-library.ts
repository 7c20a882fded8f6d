/**
 * `@dwd/auth/google-auth-library`: hands a {@link TokenSource} to Google's clients as a
 * google-auth-library `AuthClient`, so `@googleapis/calendar` (and any googleapis client) works
 * unchanged. The only module that imports google-auth-library: code that does not use it never
 * loads it.
 *
 * @example
 * ```ts
 * import { calendar } from "@googleapis/calendar";
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * import { toAuthClient } from "@dwd/auth/google-auth-library";
 *
 * const source = createTokenSource(await loadKey("key.json"));
 * const auth = toAuthClient(source, { subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar.readonly"] });
 * const entry = await calendar({ version: "v3", auth }).calendarList.get({ calendarId: "info@example.com" });
 * ```
 *
 * @module
 */

import { OAuth2Client } from "google-auth-library";
import type { gaxios } from "google-auth-library";
import { normalizeScopes, normalizeSubject } from "./sign-jwt.ts";
import type { TokenSource } from "./token-source.ts";

/** google-auth-library's client options (its `OAuth2ClientOptions`). */
export type AuthClientOptions = Exclude<
  NonNullable<ConstructorParameters<typeof OAuth2Client>[0]>,
  string
>;

/** google-auth-library's `getAccessToken` callback. */
export type GetAccessTokenCallback = Parameters<OAuth2Client["getAccessToken"]>[0];

/** Options of {@link toAuthClient}. */
export interface ToAuthClientOptions {
  /** The user to impersonate; omit to act as the service account. */
  subject?: string | undefined;
  /** OAuth scopes; at least one (google-auth-library's JWT silently drops `subject` without scopes; this does not). */
  scopes: readonly string[];
  /** The fetch for API requests (e.g. an emulator's `fetch`); tokens use the source's own fetch. */
  fetch?: typeof fetch | undefined;
  /** Further google-auth-library client options (transporter, quota project, …). */
  clientOptions?: AuthClientOptions | undefined;
}

/**
 * A google-auth-library client whose tokens come from a {@link TokenSource} (cache, shared exchanges,
 * diagnoses); API requests go through google-auth-library's transporter. It extends `OAuth2Client`
 * (an `AuthClient`) because that is the type `@googleapis/*` accept for `auth`; no OAuth2 flow of its
 * own is used. Made by {@link toAuthClient}.
 *
 * @example
 * ```ts
 * const auth = toAuthClient(createTokenSource(await loadKey("key.json")), { subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar.readonly"] });
 * const { token } = await auth.getAccessToken();
 * ```
 */
export class TokenSourceAuthClient extends OAuth2Client {
  /** The token source. */
  readonly source: TokenSource;
  /** The impersonated user. */
  readonly subject: string | undefined;
  /** The scopes. */
  readonly scopes: string[];

  /**
   * @param source the token source
   * @param options subject, scopes, fetch, client options
   */
  constructor(source: TokenSource, options: ToAuthClientOptions) {
    const clientOptions: AuthClientOptions = { ...options.clientOptions };
    if (options.fetch && !clientOptions.transporter) {
      const fetchImpl = options.fetch;
      clientOptions.transporterOptions = {
        ...clientOptions.transporterOptions,
        fetchImplementation: (input: RequestInfo | URL, init?: RequestInit) =>
          fetchImpl(input, init),
      };
    }
    super(clientOptions);
    this.source = source;
    this.subject = normalizeSubject(options.subject);
    this.scopes = normalizeScopes(options.scopes);
  }

  private tokenRequest(): { subject?: string | undefined; scopes: string[] } {
    return { scopes: this.scopes, ...(this.subject ? { subject: this.subject } : {}) };
  }

  private async currentToken(): Promise<{ token: string; res: null }> {
    const token = await this.source.getToken(this.tokenRequest());
    this.credentials = {
      access_token: token.accessToken,
      expiry_date: token.expiresAt,
      token_type: "Bearer",
    };
    return { token: token.accessToken, res: null };
  }

  /**
   * The current access token, from the token source.
   *
   * @param callback optional node-style callback
   * @returns `{ token }` (or nothing when a callback is given)
   * @throws {DelegationError} when the token endpoint refuses
   */
  override getAccessToken(): Promise<{ token: string; res: null }>;
  override getAccessToken(callback: GetAccessTokenCallback): void;
  override getAccessToken(
    callback?: GetAccessTokenCallback,
  ): Promise<{ token: string; res: null }> | void {
    const promise = this.currentToken();
    if (!callback) return promise;
    promise.then(
      (r) => callback(null, r.token, null),
      (e: unknown) => callback(e as Parameters<GetAccessTokenCallback>[0]),
    );
  }

  /**
   * `Authorization: Bearer …` (plus `x-goog-user-project` when a quota project is set).
   *
   * @param url ignored: delegation never uses self-signed JWTs
   * @returns the headers
   */
  override async getRequestHeaders(url?: string | URL): Promise<Headers> {
    return (await this.getRequestMetadataAsync(url)).headers;
  }

  protected override async getRequestMetadataAsync(
    _url?: string | URL | null,
  ): Promise<{ headers: Headers; res: null }> {
    const { token } = await this.currentToken();
    return {
      headers: this.addSharedMetadataHeaders(new Headers({ authorization: `Bearer ${token}` })),
      res: null,
    };
  }

  /**
   * Sends an authorized request through the transporter; on 401 it drops the cached token and
   * retries once, as Google's libraries do.
   *
   * @param options gaxios request options
   * @param reAuthRetried true on the retry
   * @returns the gaxios response
   */
  protected override async requestAsync<T>(
    options: gaxios.GaxiosOptions,
    reAuthRetried = false,
  ): Promise<gaxios.GaxiosResponse<T>> {
    const headers = new Headers(options.headers);
    for (const [name, value] of (await this.getRequestMetadataAsync()).headers)
      headers.set(name, value);
    try {
      return await this.transporter.request<T>({ ...options, headers });
    } catch (error) {
      const status = (error as { response?: { status?: unknown } | undefined } | null)?.response
        ?.status;
      if (status !== 401 || reAuthRetried) throw error;
      this.source.invalidate(this.tokenRequest());
      return this.requestAsync<T>(options, true);
    }
  }
}

/**
 * Wraps a token source as a google-auth-library `AuthClient` for `@googleapis/*` clients.
 *
 * @param source the token source from `createTokenSource()`
 * @param options subject, scopes (required), fetch for API requests, client options
 * @returns the auth client
 * @throws {TypeError} when `scopes` is empty, or the subject is empty or holds whitespace
 * @example
 * ```ts
 * const auth = toAuthClient(source, { subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function toAuthClient(
  source: TokenSource,
  options: ToAuthClientOptions,
): TokenSourceAuthClient {
  return new TokenSourceAuthClient(source, options);
}
