// One bearer token kept until shortly before it expires, with one fetch shared by concurrent callers.

/** A token and its expiry (local ms). */
export interface ExpiringToken {
  token: string;
  expiresAt: number;
}

/** A cached token: `get()` fetches only when none is cached or it is within `marginMs` of expiry. */
export interface CachedToken {
  get(): Promise<string>;
  invalidate(): void;
}

/** Wraps `fetchToken` in a cache; a failed fetch is not cached. */
export function cachedToken(
  fetchToken: () => Promise<ExpiringToken>,
  now: () => number,
  marginMs: number,
): CachedToken {
  let current: ExpiringToken | undefined;
  let pending: Promise<string> | undefined;
  return {
    get(): Promise<string> {
      if (current !== undefined && current.expiresAt - marginMs > now())
        return Promise.resolve(current.token);
      pending ??= fetchToken().then(
        (fresh) => {
          current = fresh;
          pending = undefined;
          return fresh.token;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    invalidate(): void {
      current = undefined;
    },
  };
}
