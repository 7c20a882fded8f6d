import { resolveEndpoints, retryPolicy } from "@dwd/auth";
import type { TokenSource } from "@dwd/auth";
import type { BatchResults } from "./batch-result.ts";
import type { CallOptions, PreparedCall } from "./call-types.ts";
import { methods } from "./_generated/methods.ts";
import type { MethodKey } from "./_generated/methods.ts";
import type {
  AclCalls,
  CalendarListCalls,
  CalendarsCalls,
  ChannelsCalls,
  ColorsCalls,
  EventsCalls,
  FreebusyCalls,
  SettingsCalls,
} from "./_generated/resources.ts";
import type {
  AclListParams,
  AclRule,
  CalendarListEntry,
  CalendarListListParams,
  Event,
  EventsInstancesParams,
  EventsListParams,
  Setting,
  SettingsListParams,
} from "./_generated/types.ts";
import type { MethodSpec } from "./method-spec.ts";
import type { RetryEvent, RetryOptions } from "./retry-options.ts";
import type { CalendarFetch, ClientContext } from "./_internal/client-context.ts";
import { execute } from "./_internal/execute.ts";
import { prepare } from "./_internal/prepare.ts";
import type { Principal } from "./_internal/prepare.ts";
import { runBatch } from "./_internal/run-batch.ts";
import { withScopeFallback } from "./scope-choice.ts";

export type { CalendarFetch } from "./_internal/client-context.ts";
export type { CalendarFetchResponse } from "./_internal/read-body.ts";

/** The scope a client requests for reads when none is configured (writes get `…/auth/calendar`). */
export const defaultCalendarScopes: readonly string[] = [
  "https://www.googleapis.com/auth/calendar.readonly",
];

/**
 * What {@link createCalendarClient} needs from a token source: `@dwd/auth`'s `TokenSource` fits, and so
 * does anything with `getToken({ subject, scopes })`. With `invalidate`, a 401 from the API makes the
 * client fetch a fresh token and retry once.
 */
export type CalendarTokenSource = Pick<TokenSource, "getToken"> & {
  [K in "invalidate" | "tokenUri"]?: TokenSource[K] | undefined;
} & {
  signer?: { clientEmail: string; clientId?: string | undefined } | undefined;
};

/**
 * The Calendar root when none is given, resolved as `@dwd/auth` (and the CLI) resolve it:
 * `DWD_EMULATOR_HOST`'s, else — when the token source posts to a loopback address (a key the emulator
 * wrote names the emulator as its `token_uri`) — the same origin's, so what the emulator hands out is
 * enough; else Google's.
 */
function defaultRoot(options: CalendarClientOptions): string {
  return resolveEndpoints({ env: options.env, tokenUri: options.tokenSource.tokenUri })
    .calendarRoot;
}

/** Options of {@link createCalendarClient}. */
export interface CalendarClientOptions {
  /** Where access tokens come from (`createTokenSource(key)` of `@dwd/auth`). */
  tokenSource: CalendarTokenSource;
  /** The user to impersonate (domain-wide delegation). Without it, calls run as the service account itself. */
  subject?: string | undefined;
  /**
   * Scopes to request for every call, exactly. Default: per method, `calendar.readonly` when the method
   * accepts it, else `calendar`; when the grant lacks `calendar.readonly` (a grant of only
   * `…/auth/calendar` is the most common), `calendar` is used instead, learnt once per token source with
   * one extra token exchange (see `createScopeChoice`). Under DWD each must be granted in the Admin console.
   */
  scopes?: readonly string[] | undefined;
  /**
   * Calendar API root. Default: from `DWD_EMULATOR_HOST`; else, when the token source posts to a loopback
   * address (a key written by the emulator), that origin's `/calendar/v3`; else Google's.
   */
  rootUrl?: string | undefined;
  /** The batch endpoint; default `batch/calendar/v3` on the root's host. */
  batchUrl?: string | undefined;
  /** The fetch to use (tests hand in the emulator's handler); `globalThis.fetch` by default. */
  fetch?: CalendarFetch | undefined;
  /** Environment variables to read `DWD_EMULATOR_HOST` from. */
  env?: Record<string, string | undefined> | undefined;
  /** Total time per call, retries included; default 30,000 ms. A batch applies it to each HTTP request. */
  timeoutMs?: number | undefined;
  /** Retry policy, or `false` for none. Default: 5 retries, full jitter from 1 s up to 32 s. */
  retry?: RetryOptions | false | undefined;
  /** Sees each retry before it happens. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /**
   * Ask for gzip (`Accept-Encoding: gzip` and `(gzip)` in the User-Agent, as Google requires). Default
   * on with the runtime's fetch (it inflates); with a custom fetch, on only when asked, since the
   * client can inflate only bodies it can read as bytes (`arrayBuffer`).
   */
  gzip?: boolean | undefined;
  /** Product token put before `dwd-calendar (gzip)` in the User-Agent. */
  userAgent?: string | undefined;
  /** Clock in ms, for `Retry-After` dates; default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The `acl` methods plus an iterator over every rule. */
export interface AclResource extends AclCalls<"promise"> {
  /**
   * Every rule of every page of `acl.list` (250 a page unless `maxResults` says otherwise).
   *
   * @param calendarId The calendar.
   * @param params `acl.list` parameters and call options.
   * @returns An async iterable of rules, fetching pages as it goes.
   */
  all(calendarId: string, params?: AclListParams & CallOptions): AsyncIterable<AclRule>;
}

/** The `calendarList` methods plus an iterator over every entry. */
export interface CalendarListResource extends CalendarListCalls<"promise"> {
  /**
   * Every entry of every page of `calendarList.list` (250 a page unless `maxResults` says otherwise).
   *
   * @param params `calendarList.list` parameters and call options.
   * @returns An async iterable of entries, fetching pages as it goes.
   */
  all(params?: CalendarListListParams & CallOptions): AsyncIterable<CalendarListEntry>;
  /**
   * The same as {@link CalendarListResource.all}.
   *
   * @deprecated Use `all`.
   * @param params `calendarList.list` parameters and call options.
   * @returns An async iterable of entries.
   */
  listAll(params?: CalendarListListParams & CallOptions): AsyncIterable<CalendarListEntry>;
}

/** The `events` methods plus iterators over every event and every instance. */
export interface EventsResource extends EventsCalls<"promise"> {
  /**
   * Every event of every page of `events.list` (2,500 a page unless `maxResults` says otherwise).
   *
   * @param calendarId The calendar, e.g. `"primary"`.
   * @param params `events.list` parameters and call options.
   * @returns An async iterable of events, fetching pages as it goes.
   */
  all(calendarId: string, params?: EventsListParams & CallOptions): AsyncIterable<Event>;
  /**
   * Every instance of a recurring event, over all pages of `events.instances` (2,500 a page).
   *
   * @param calendarId The calendar.
   * @param eventId The recurring event.
   * @param params `events.instances` parameters and call options.
   * @returns An async iterable of instances.
   */
  allInstances(
    calendarId: string,
    eventId: string,
    params?: EventsInstancesParams & CallOptions,
  ): AsyncIterable<Event>;
}

/** The `settings` methods plus an iterator over every setting. */
export interface SettingsResource extends SettingsCalls<"promise"> {
  /**
   * Every setting of every page of `settings.list`.
   *
   * @param params `settings.list` parameters and call options.
   * @returns An async iterable of settings.
   */
  all(params?: SettingsListParams & CallOptions): AsyncIterable<Setting>;
}

/** The same methods as a client, returning {@link PreparedCall}s for a batch. */
export interface CalendarCalls {
  /** `acl` calls. */
  acl: AclCalls<"prepared">;
  /** `calendarList` calls. */
  calendarList: CalendarListCalls<"prepared">;
  /** `calendars` calls. */
  calendars: CalendarsCalls<"prepared">;
  /** `channels` calls. */
  channels: ChannelsCalls<"prepared">;
  /** `colors` calls. */
  colors: ColorsCalls<"prepared">;
  /** `events` calls. */
  events: EventsCalls<"prepared">;
  /** `freebusy` calls. */
  freebusy: FreebusyCalls<"prepared">;
  /** `settings` calls. */
  settings: SettingsCalls<"prepared">;
  /**
   * The same builder acting as another user.
   *
   * @param subject The user to impersonate; `undefined` for the service account itself.
   * @returns A builder whose calls carry that subject.
   */
  as(subject: string | undefined): CalendarCalls;
}

/** Options of {@link CalendarClient.batch}. */
export interface BatchOptions {
  /** Calls per batch request, 1–1000 (Google's limit); default 50. */
  chunkSize?: number | undefined;
  /** Batch requests in flight at once; default 4. */
  concurrency?: number | undefined;
  /** Aborts the batch; open parts fail with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** A Calendar v3 client: every method of the discovery document, pages, batch, retries and diagnoses. */
export interface CalendarClient {
  /** Access control rules of calendars. */
  acl: AclResource;
  /** The acting user's calendar list. */
  calendarList: CalendarListResource;
  /** Calendars (metadata, create, delete, clear). */
  calendars: CalendarsCalls<"promise">;
  /** Push-notification channels. */
  channels: ChannelsCalls<"promise">;
  /** The color palettes. */
  colors: ColorsCalls<"promise">;
  /** Events. */
  events: EventsResource;
  /** Free/busy queries. */
  freebusy: FreebusyCalls<"promise">;
  /** The acting user's settings. */
  settings: SettingsResource;
  /** The same methods, returning prepared calls for {@link CalendarClient.batch}. */
  calls: CalendarCalls;
  /**
   * The same client acting as another user (shares token source, fetch and settings).
   *
   * @param subject The user to impersonate; `undefined` for the service account itself.
   * @returns The client for that user.
   */
  as(subject: string | undefined): CalendarClient;
  /**
   * Sends many calls as `multipart/mixed` batch requests (chunks of 50 by default, at most 1,000), each
   * part with its own Authorization, so one batch may act as many users. Each call gets its own result;
   * only failed retryable parts are sent again.
   *
   * @param calls Prepared calls, or a function that builds them from a {@link CalendarCalls} builder.
   * @param options Chunk size, concurrency, signal.
   * @returns One result per call, in input order ({@link BatchResults}), each with its method and subject.
   */
  batch<const C extends readonly PreparedCall<unknown>[]>(
    calls: C | ((b: CalendarCalls) => C),
    options?: BatchOptions,
  ): Promise<BatchResults<C>>;
  /** The API root in use, without a trailing slash. */
  rootUrl: string;
  /** The impersonated user, if any. */
  subject?: string | undefined;
  /** The scopes configured for every call (empty: each method's default). */
  scopes: readonly string[];
}

const specsByResource = new Map<string, MethodSpec[]>();
for (const spec of Object.values(methods)) {
  const list = specsByResource.get(spec.resource) ?? [];
  list.push(spec);
  specsByResource.set(spec.resource, list);
}

function builder<R>(
  principal: Principal,
  make: (call: PreparedCall<unknown>) => R,
  rejectInstead = false,
): Record<string, Record<string, (...args: unknown[]) => R>> {
  const out: Record<string, Record<string, (...args: unknown[]) => R>> = {};
  for (const [resource, specs] of specsByResource) {
    const r: Record<string, (...args: unknown[]) => R> = {};
    for (const spec of specs)
      r[spec.name] = rejectInstead
        ? (...args) => {
            // A client method never throws synchronously: bad arguments reject the promise like any failure.
            try {
              return make(prepare(spec, args, principal));
            } catch (error) {
              return Promise.reject(error instanceof Error ? error : new Error(String(error))) as R;
            }
          }
        : (...args) => make(prepare(spec, args, principal));
    out[resource] = r;
  }
  return out;
}

function callsFor(principal: Principal): CalendarCalls {
  const calls = builder(principal, (call) => call) as unknown as Omit<CalendarCalls, "as">;
  return { ...calls, as: (subject) => callsFor({ ...principal, subject }) };
}

/**
 * Creates a Calendar v3 client over any token source. The runtime is a thin fetch layer; failures
 * become {@link CalendarApiError}s with a diagnosis.
 *
 * @param options The token source, subject, scopes, endpoint, timeout and retry policy.
 * @returns The client.
 * @example
 * ```ts
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * import { createCalendarClient } from "@dwd/calendar";
 *
 * const tokenSource = createTokenSource(await loadKey("key.json"));
 * const cal = createCalendarClient({ tokenSource, subject: "info@example.com" });
 * for await (const event of cal.events.all("primary", { timeMin: "2026-01-01T00:00:00Z" })) console.log(event.summary);
 * ```
 */
export function createCalendarClient(options: CalendarClientOptions): CalendarClient {
  const rootUrl = (options.rootUrl ?? defaultRoot(options)).replace(/\/+$/, "");
  const ctx: ClientContext = {
    // Without configured scopes each call asks for its method's narrowest default, and falls back to a
    // broader scope the grant holds (chosen once per token source and scope set).
    tokenSource:
      options.scopes === undefined ? withScopeFallback(options.tokenSource) : options.tokenSource,
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    rootUrl,
    batchUrl: options.batchUrl ?? new URL("../../batch/calendar/v3", `${rootUrl}/`).href,
    timeoutMs: options.timeoutMs ?? 30_000,
    retry: retryPolicy(options.retry),
    now: options.now ?? Date.now,
    ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}),
    gzip: options.gzip ?? options.fetch === undefined,
    userAgent: `${options.userAgent !== undefined ? `${options.userAgent} ` : ""}dwd-calendar (gzip)`,
  };
  const scopes = options.scopes !== undefined ? [...options.scopes] : undefined;
  return clientFor(ctx, { subject: options.subject, scopes });
}

function clientFor(ctx: ClientContext, principal: Principal): CalendarClient {
  // `as(subject)` makes one of these per user (dwd-server, per request): one closure per method, and
  // the prepared-call builder (`calls`) only when asked for.
  const resources = builder(principal, (call) => execute(ctx, call), true);
  let calls: CalendarCalls | undefined;

  async function* pages<T>(key: MethodKey, args: unknown[]): AsyncGenerator<T> {
    const spec = methods[key];
    const n = spec.parameterOrder.length;
    const params: Record<string, unknown> = { ...(args[n] as Record<string, unknown> | undefined) };
    params["maxResults"] ??= spec.maxPageSize;
    let pageToken = params["pageToken"] as string | undefined;
    do {
      const page = (await execute(
        ctx,
        prepare(spec, [...args.slice(0, n), { ...params, pageToken }], principal),
      )) as {
        items?: T[] | undefined;
        nextPageToken?: string | null | undefined;
      };
      yield* page.items ?? [];
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined && pageToken !== "");
  }

  const all =
    (key: MethodKey) =>
    (...args: unknown[]) =>
      pages(key, args);
  const client = {
    ...resources,
    acl: { ...resources["acl"], all: all("acl.list") },
    calendarList: {
      ...resources["calendarList"],
      all: all("calendarList.list"),
      listAll: all("calendarList.list"),
    },
    events: {
      ...resources["events"],
      all: all("events.list"),
      allInstances: all("events.instances"),
    },
    settings: { ...resources["settings"], all: all("settings.list") },
    get calls() {
      return (calls ??= callsFor(principal));
    },
    as: (subject: string | undefined) => clientFor(ctx, { ...principal, subject }),
    async batch(
      calls:
        readonly PreparedCall<unknown>[] | ((b: CalendarCalls) => readonly PreparedCall<unknown>[]),
      batchOptions: BatchOptions = {},
    ) {
      const list = typeof calls === "function" ? calls(callsFor(principal)) : calls;
      const chunkSize = batchOptions.chunkSize ?? 50;
      if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 1000)
        throw new RangeError(
          `batch(): chunkSize must be 1–1000 (Google's limit), got ${chunkSize}`,
        );
      const concurrency = batchOptions.concurrency ?? 4;
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new RangeError(`batch(): concurrency must be a positive integer, got ${concurrency}`);
      return await runBatch(ctx, list, {
        chunkSize,
        concurrency,
        ...(batchOptions.signal !== undefined ? { signal: batchOptions.signal } : {}),
      });
    },
    rootUrl: ctx.rootUrl,
    ...(principal.subject !== undefined ? { subject: principal.subject } : {}),
    scopes: principal.scopes ?? [],
  };
  return client as unknown as CalendarClient;
}
