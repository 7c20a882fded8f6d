import { defaultFetch, resolveEndpoints } from "@dwd/auth";
import type { FetchLike, FetchLikeResponse, TokenSource } from "@dwd/auth";
import { CalendarApiError } from "./calendar-api-error.ts";
import type { CalendarList, CalendarListEntry, CalendarListListOptions } from "./calendar-list-entry.ts";
import { parseGoogleError } from "./_internal/google-error.ts";
import { toCalendarApiError } from "./_internal/to-calendar-api-error.ts";
import type { CallContext } from "./_internal/to-calendar-api-error.ts";

/** The scope a client requests when none is given: the narrowest one Admin consoles commonly grant that covers reads. */
export const defaultCalendarScopes: readonly string[] = ["https://www.googleapis.com/auth/calendar.readonly"];

/**
 * What {@link createCalendarClient} needs from a token source: `@dwd/auth`'s `TokenSource` fits. With
 * `invalidate`, a 401 from the API makes the client fetch a fresh token and retry once.
 */
export type CalendarTokenSource = Pick<TokenSource, "getToken"> & Partial<Pick<TokenSource, "invalidate">> & { signer?: { clientEmail: string } };

/** Options of {@link createCalendarClient}. */
export interface CalendarClientOptions {
  /** Where access tokens come from (`createTokenSource(key)` of `@dwd/auth`). */
  tokenSource: CalendarTokenSource;
  /** The user to impersonate (domain-wide delegation). Without it, calls run as the service account itself. */
  subject?: string;
  /** Scopes to request; default `calendar.readonly`. Under DWD each must be granted in the Admin console. */
  scopes?: readonly string[];
  /** Calendar API root; default from `DWD_EMULATOR_HOST`, else `https://www.googleapis.com/calendar/v3`. */
  rootUrl?: string;
  /** The fetch to use (tests hand in the emulator's handler); `globalThis.fetch` by default. */
  fetch?: FetchLike;
  /** Environment variables to read `DWD_EMULATOR_HOST` from. */
  env?: Record<string, string | undefined>;
}

/** The `calendarList` collection. */
export interface CalendarListResource {
  /**
   * Gets one entry of the acting principal's calendar list (`calendar.calendarList.get`).
   *
   * @param calendarId A calendar ID, e.g. `"info@example.com"` or `"primary"`.
   * @returns The entry.
   * @throws {CalendarApiError} `not_in_service_account_list` (404 without a subject), `not_found`, `token_rejected`, …
   * @throws {DelegationError} when no token could be obtained (from `@dwd/auth`, unchanged).
   */
  get(calendarId: string): Promise<CalendarListEntry>;
  /**
   * Gets one page of the calendar list (`calendar.calendarList.list`).
   *
   * @param options `maxResults`, `pageToken`, ….
   * @returns The page; `nextPageToken` is set while more remain.
   * @throws {CalendarApiError} see {@link CalendarApiErrorCode}.
   */
  list(options?: CalendarListListOptions): Promise<CalendarList>;
  /**
   * Iterates over every entry of every page.
   *
   * @param options The list options other than `pageToken`.
   * @returns An async iterable of entries, fetching pages as it goes.
   * @throws {CalendarApiError} from the page that failed.
   */
  listAll(options?: Omit<CalendarListListOptions, "pageToken">): AsyncIterable<CalendarListEntry>;
}

/** A Calendar v3 client bound to one token source, subject and scope set. */
export interface CalendarClient {
  /** The calendar list of the acting principal. */
  calendarList: CalendarListResource;
  /** The API root in use, without a trailing slash. */
  rootUrl: string;
  /** The impersonated user, if any. */
  subject?: string;
  /** The scopes requested for every call. */
  scopes: readonly string[];
}

interface Call {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  calendarId?: string;
}

/**
 * Creates a Calendar v3 client. The runtime is a thin fetch layer; errors become {@link CalendarApiError}s with a diagnosis.
 *
 * @param options The token source, subject, scopes and endpoint.
 * @returns The client.
 * @example
 * ```ts
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * import { createCalendarClient } from "@dwd/calendar";
 *
 * const tokenSource = createTokenSource(await loadKey("key.json"));
 * const calendar = createCalendarClient({ tokenSource, subject: "info@example.com" });
 * const entry = await calendar.calendarList.get("info@example.com");
 * console.log(entry.summary);
 * ```
 */
export function createCalendarClient(options: CalendarClientOptions): CalendarClient {
  const { tokenSource, subject } = options;
  const scopes = [...(options.scopes ?? defaultCalendarScopes)];
  const rootUrl = (options.rootUrl ?? resolveEndpoints({ env: options.env }).calendarRoot).replace(/\/+$/, "");
  const fetchFn = options.fetch ?? defaultFetch;

  async function call<T>(c: Call): Promise<T> {
    const ctx: CallContext = { method: c.method, calendarId: c.calendarId, subject, serviceAccount: tokenSource.signer?.clientEmail, scopes };
    const url = new URL(`${rootUrl}/${c.path}`);
    for (const [name, value] of Object.entries(c.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const send = async (): Promise<FetchLikeResponse> => {
      const token = await tokenSource.getToken({ subject, scopes });
      try {
        return await fetchFn(url.href, { headers: { authorization: `Bearer ${token.accessToken}`, accept: "application/json" } });
      } catch (error) {
        throw new CalendarApiError(
          "api_unreachable",
          `Cannot call ${c.method}: the Calendar API at "${rootUrl}" cannot be reached (${error instanceof Error ? error.message : String(error)})`,
          {
            ...ctx,
            status: 0,
            cause: error,
            hint: "Check the network, or the API root (--api-root / rootUrl / DWD_EMULATOR_HOST) when using an emulator",
          },
        );
      }
    };
    let response = await send();
    if (response.status === 401 && tokenSource.invalidate !== undefined) {
      // Google's advice for 401: get a new token and retry once (the cached one may have been revoked).
      await response.text().catch(() => "");
      tokenSource.invalidate({ subject, scopes });
      response = await send();
    }
    const text = await response.text();
    if (!response.ok) throw toCalendarApiError(response.status, parseGoogleError(text), ctx);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new CalendarApiError("unexpected_response", `Cannot read the answer of ${c.method}: the body is not JSON`, {
        ...ctx,
        status: response.status,
        cause: error,
        hint: "Check that the API root URL points at the Calendar API (…/calendar/v3)",
      });
    }
  }

  const calendarList: CalendarListResource = {
    async get(calendarId) {
      if (typeof calendarId !== "string" || calendarId === "") throw new TypeError("calendarList.get() needs a calendar ID");
      return await call<CalendarListEntry>({
        method: "calendar.calendarList.get",
        path: `users/me/calendarList/${encodeURIComponent(calendarId)}`,
        calendarId,
      });
    },
    list(listOptions = {}) {
      return call<CalendarList>({ method: "calendar.calendarList.list", path: "users/me/calendarList", query: { ...listOptions } });
    },
    async *listAll(listOptions = {}) {
      let pageToken: string | undefined;
      do {
        const page = await calendarList.list({ ...listOptions, pageToken });
        yield* page.items ?? [];
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined && pageToken !== "");
    },
  };

  return { calendarList, rootUrl, subject, scopes };
}
