import { DelegationError } from "@dwd/auth";

const FULL = "https://www.googleapis.com/auth/calendar";
const AUTH = "https://www.googleapis.com/auth/";

/** What {@link ScopeChoice} asks of a token source: `@dwd/auth`'s `TokenSource` fits. */
export interface ScopeChoiceTokenSource {
  /** A token for `subject` with `scopes`; a refused grant rejects with a `DelegationError`. */
  getToken(request: {
    subject?: string | undefined;
    scopes: readonly string[];
    signal?: AbortSignal | undefined;
  }): Promise<{ accessToken: string }>;
  /** Forgets a cached token. */
  invalidate?:
    ((request: { subject?: string | undefined; scopes: readonly string[] }) => void) | undefined;
}

/** Options of {@link createScopeChoice}. */
export interface ScopeChoiceOptions {
  /**
   * Broader scopes to try, in order, when the grant lacks a requested scope set; each is asked for
   * alone. Default `["https://www.googleapis.com/auth/calendar"]`, which every Calendar method accepts
   * and most domain-wide delegation grants hold: at most one extra token exchange.
   */
  fallbacks?: readonly string[] | undefined;
  /**
   * While the first caller's choice for a scope set is pending, up to this many other callers ask for
   * the requested scopes themselves instead of waiting for its answer (default 0: they wait). A success
   * settles the choice. When the grant holds the requested scopes (the common case), a fan-out's token
   * exchanges then all go at once instead of one round trip behind the first; when it does not, each such
   * caller has spent one refused exchange, then takes the choice the first caller makes.
   */
  speculative?: number | undefined;
}

/** What {@link ScopeChoice.choose} and {@link ScopeChoice.getToken} are asked. */
export interface ScopeChoiceRequest {
  /** The user to impersonate; absent for the service account itself. */
  subject?: string | undefined;
  /** The narrowest scopes the call accepts. */
  scopes: readonly string[];
  /** Abandons this caller's wait (not a choice other callers wait for). */
  signal?: AbortSignal | undefined;
}

/**
 * Chooses, per requested scope set, the narrowest scopes the client's domain-wide delegation grant
 * holds, and remembers the choice: the grant belongs to the client, not to a user, so it is made once
 * for every user. Also a token source (`getToken`, `invalidate`) that asks for the chosen scopes.
 */
export interface ScopeChoice {
  /**
   * The scopes to use for `scopes`: the same when the grant holds them, else the first fallback it
   * holds. The first caller for a scope set asks the token endpoint (its token is cached); callers that
   * come meanwhile wait for that answer instead of asking themselves.
   *
   * @throws {DelegationError} `delegation_not_authorized` / `scope_not_granted` naming every scope tried,
   *   when the grant holds none; any other failure of the token source (e.g. an unknown user) as it is
   */
  choose(request: ScopeChoiceRequest): Promise<readonly string[]>;
  /** A token for the chosen scopes. */
  getToken(request: ScopeChoiceRequest): Promise<{ accessToken: string }>;
  /** Forgets the cached token of the chosen scopes (after a 401). */
  invalidate(request: Omit<ScopeChoiceRequest, "signal">): void;
  /** The choice made for `scopes`, once made. */
  chosen(scopes: readonly string[]): readonly string[] | undefined;
}

const grantRefusals = new Set(["delegation_not_authorized", "scope_not_granted"]);

/** Whether `error` is the token endpoint saying the grant lacks the requested scopes. */
export function isGrantRefusal(error: unknown): error is DelegationError {
  return error instanceof DelegationError && grantRefusals.has(error.code);
}

const short = (scope: string): string =>
  scope.startsWith(AUTH) ? scope.slice(AUTH.length) : scope;
const idOf = (scopes: readonly string[]): string => [...new Set(scopes)].sort().join(" ");

function refusedAll(first: DelegationError, tried: string[][]): DelegationError {
  const who =
    first.subject !== undefined
      ? `"${first.subject}"`
      : `service account "${first.clientEmail ?? "unknown"}"`;
  const client =
    first.clientId !== undefined ? `client "${first.clientId}"` : "the service account";
  const names = tried.map((set) => `"${set.map(short).join(" ")}"`).join(", then ");
  return new DelegationError(
    first.code,
    `Cannot get a token for ${who}: ${client} is not authorized for domain-wide delegation of ${names} (tried narrowest first)`,
    {
      clientEmail: first.clientEmail,
      clientId: first.clientId,
      subject: first.subject,
      scopes: [...new Set(tried.flat())],
      status: first.status,
      tokenUri: first.tokenUri,
      oauthError: first.oauthError,
      oauthErrorDescription: first.oauthErrorDescription,
      cause: first,
      hint: first.hint,
    },
  );
}

interface State {
  chosen?: readonly string[] | undefined;
  pending?: Promise<readonly string[]> | undefined;
}

/**
 * Creates a scope choice over a token source. `createCalendarClient` makes one per token source when
 * it has no `scopes` option (so every client over the same source shares what was learnt); the `dwd`
 * CLI and `dwd-server` use the same.
 *
 * @param tokenSource Where tokens come from.
 * @param options Broader scopes to fall back to.
 * @returns The choice.
 * @example
 * ```ts
 * const choice = createScopeChoice(tokenSource);
 * // A grant of only …/auth/calendar: ["https://www.googleapis.com/auth/calendar"], after one refused exchange.
 * await choice.choose({ subject: "ana@example.com", scopes: ["https://www.googleapis.com/auth/calendar.readonly"] });
 * ```
 */
export function createScopeChoice(
  tokenSource: ScopeChoiceTokenSource,
  options: ScopeChoiceOptions = {},
): ScopeChoice {
  const fallbacks = [...(options.fallbacks ?? [FULL])];
  const speculative = options.speculative ?? 0;
  if (!(speculative >= 0)) throw new RangeError("speculative must be 0 or more");
  const states = new Map<string, State>();
  /** Callers asking for themselves while a choice is pending. */
  let speculating = 0;

  /** The requested set, then each fallback that differs from it. */
  const candidatesOf = (scopes: readonly string[]): string[][] => [
    [...scopes],
    ...fallbacks.filter((f) => idOf([f]) !== idOf(scopes)).map((f): string[] => [f]),
  ];

  type Token = Awaited<ReturnType<ScopeChoiceTokenSource["getToken"]>>;
  async function probe(request: ScopeChoiceRequest): Promise<{ scopes: string[]; token: Token }> {
    const candidates = candidatesOf(request.scopes);
    let first: DelegationError | undefined;
    const tried: string[][] = [];
    for (const scopes of candidates) {
      try {
        const token = await tokenSource.getToken({
          subject: request.subject,
          scopes,
          signal: request.signal,
        });
        return { scopes, token };
      } catch (error) {
        if (!isGrantRefusal(error)) throw error;
        first ??= error;
        tried.push(scopes);
      }
    }
    throw refusedAll(first!, tried);
  }

  /** The choice, and the token when this caller's own probe made it (no second request). */
  async function decide(
    request: ScopeChoiceRequest,
  ): Promise<{ scopes: readonly string[]; token?: Token | undefined }> {
    const id = idOf(request.scopes);
    let state = states.get(id);
    if (state === undefined) states.set(id, (state = {}));
    if (state.chosen !== undefined) return { scopes: state.chosen };
    if (state.pending !== undefined && speculating < speculative) {
      // Another caller is asking; this one asks too, for the requested scopes. A success proves the
      // grant holds them (the narrowest candidate): the choice. A refusal: take the first caller's.
      speculating++;
      try {
        const token = await tokenSource.getToken({
          subject: request.subject,
          scopes: [...request.scopes],
          signal: request.signal,
        });
        state.chosen ??= [...request.scopes];
        return { scopes: [...request.scopes], token };
      } catch (error) {
        if (!isGrantRefusal(error)) throw error;
      } finally {
        speculating--;
      }
      if (state.chosen !== undefined) return { scopes: state.chosen };
    }
    if (state.pending !== undefined) {
      // Another caller is asking: its answer is about the grant, unless it failed for its own reason
      // (an unknown user, its own abort); then this caller asks for itself.
      try {
        return { scopes: await state.pending };
      } catch (error) {
        if (isGrantRefusal(error)) throw error;
      }
      if (state.chosen !== undefined) return { scopes: state.chosen };
    }
    const mine = probe(request);
    const chosen = mine.then((r) => r.scopes);
    state.pending = chosen;
    // Waiters observe `chosen`; this caller observes `mine`: neither rejects unobserved.
    chosen.catch(() => {});
    try {
      const result = await mine;
      state.chosen = result.scopes;
      return result;
    } finally {
      if (state.pending === chosen) delete state.pending;
    }
  }

  async function choose(request: ScopeChoiceRequest): Promise<readonly string[]> {
    // Nothing to fall back to (a request for the broadest scope): no choice to make or remember.
    if (candidatesOf(request.scopes).length === 1) return request.scopes;
    return (await decide(request)).scopes;
  }

  return {
    choose,
    async getToken(request) {
      if (candidatesOf(request.scopes).length === 1) return tokenSource.getToken(request);
      const { scopes, token } = await decide(request);
      if (token !== undefined) return token;
      return tokenSource.getToken({
        subject: request.subject,
        scopes: [...scopes],
        signal: request.signal,
      });
    },
    invalidate(request) {
      const scopes = states.get(idOf(request.scopes))?.chosen ?? request.scopes;
      tokenSource.invalidate?.({ subject: request.subject, scopes: [...scopes] });
    },
    chosen: (scopes) => states.get(idOf(scopes))?.chosen,
  };
}

const shared = new WeakMap<object, ScopeChoice>();

/**
 * The scope choice of a token source, shared by everyone who asks with the same source (the grant
 * belongs to the client, so what one client learnt holds for all).
 *
 * @param tokenSource Where tokens come from.
 * @returns The one choice for that source (default fallbacks).
 * @example
 * ```ts
 * scopeChoiceFor(tokenSource) === scopeChoiceFor(tokenSource); // true
 * ```
 */
export function scopeChoiceFor(tokenSource: ScopeChoiceTokenSource): ScopeChoice {
  let choice = shared.get(tokenSource);
  if (choice === undefined) shared.set(tokenSource, (choice = createScopeChoice(tokenSource)));
  return choice;
}

/**
 * `tokenSource` asking, for each scope set, for what {@link scopeChoiceFor} chose: a token source to
 * give a client whose scopes are configured (`scopes: [scope]`) but should still fall back to
 * `…/auth/calendar` when the grant lacks them (`createCalendarClient` does this itself when it has no
 * `scopes`). Its `signer` and `tokenUri` are the source's.
 *
 * @param tokenSource Where tokens come from.
 * @returns A token source over the shared choice.
 * @example
 * ```ts
 * const cal = createCalendarClient({
 *   tokenSource: withScopeFallback(tokenSource),
 *   scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
 * });
 * ```
 */
export function withScopeFallback<
  S extends ScopeChoiceTokenSource & {
    signer?: { clientEmail: string; clientId?: string | undefined } | undefined;
    tokenUri?: string | undefined;
  },
>(tokenSource: S): Pick<S, "getToken"> & Partial<Pick<S, "invalidate" | "signer" | "tokenUri">> {
  const choice = scopeChoiceFor(tokenSource);
  // The choice hands on the tokens of `tokenSource` itself, so their type is S's.
  const getToken = ((request: ScopeChoiceRequest) => choice.getToken(request)) as S["getToken"];
  const invalidate = ((request: { subject?: string | undefined; scopes: readonly string[] }) =>
    choice.invalidate(request)) as NonNullable<S["invalidate"]>;
  return {
    getToken,
    ...(tokenSource.invalidate !== undefined ? { invalidate } : {}),
    ...(tokenSource.signer !== undefined ? { signer: tokenSource.signer } : {}),
    ...(tokenSource.tokenUri !== undefined ? { tokenUri: tokenSource.tokenUri } : {}),
  };
}
