import { CalendarApiError } from "./calendar-api-error.ts";
import type { CalendarClient } from "./calendar-client.ts";
import type { Event, EventsListParams } from "./_generated/types.ts";
import type { SyncStore } from "./sync-store.ts";

/** `events.list` parameters that Google allows next to a `syncToken` (the others give 400). */
export type EventSyncParams = Pick<
  EventsListParams,
  | "alwaysIncludeEmail"
  | "eventTypes"
  | "maxAttendees"
  | "maxResults"
  | "showDeleted"
  | "showHiddenInvitations"
  | "singleEvents"
  | "timeZone"
>;

/** Options of {@link createEventSync}. */
export interface EventSyncOptions {
  /** The client to list with. */
  client: CalendarClient;
  /** Where the `nextSyncToken` of each (subject, calendar) is kept. */
  store: SyncStore;
  /** The calendar to follow, e.g. `"primary"` or an email. */
  calendarId: string;
  /** The user to act as; default the client's subject. */
  subject?: string | undefined;
  /** Further list parameters; the same on every run, since a sync token is bound to them. */
  params?: EventSyncParams | undefined;
}

/** What one {@link EventSync.run} found. */
export interface EventSyncResult {
  /** Changed events since the last run (every event on a full sync); deleted ones have `status: "cancelled"`. */
  events: Event[];
  /** True when this run listed everything (first run, or after `fullSyncRequired`). */
  fullSync: boolean;
  /** True when the stored token was refused with 410 `fullSyncRequired` and a full resync ran instead. */
  fullSyncRequired: boolean;
  /** The token stored for the next run. */
  syncToken: string;
  /** Pages fetched. */
  pages: number;
}

/** Incremental sync of one calendar: see {@link createEventSync}. */
export interface EventSync {
  /** The store key: `"<subject>|<calendarId>"` (`"|<calendarId>"` for the service account). */
  readonly key: string;
  /**
   * Lists the changes since the last run (everything on the first run) and stores the new token.
   *
   * @param options An abort signal.
   * @returns The changes and whether a full sync happened.
   * @throws {CalendarApiError} from the API, except `full_sync_required`, which is handled
   */
  run(options?: { signal?: AbortSignal | undefined }): Promise<EventSyncResult>;
  /** Forgets the stored token: the next run is a full sync. */
  reset(): Promise<void>;
}

/**
 * Follows a calendar with `syncToken`s: the first run lists every event and keeps `nextSyncToken` in
 * the store; later runs fetch only what changed (cancelled events included). When Google answers 410
 * `fullSyncRequired`, the stored token is dropped, the result says so, and a full resync runs.
 *
 * @param options Client, store, calendar, subject and list parameters.
 * @returns The sync; call `run()` as often as you like.
 * @example
 * ```ts
 * const sync = createEventSync({ client: cal, store: createMemorySyncStore(), calendarId: "primary", subject: "ana@example.com" });
 * const first = await sync.run(); // every event
 * const next = await sync.run(); // only changes; next.events may hold { id, status: "cancelled" }
 * ```
 */
export function createEventSync(options: EventSyncOptions): EventSync {
  const client =
    options.subject !== undefined ? options.client.as(options.subject) : options.client;
  const key = `${client.subject ?? ""}|${options.calendarId}`;
  const { store, calendarId } = options;

  async function listAll(
    syncToken: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Omit<EventSyncResult, "fullSync" | "fullSyncRequired">> {
    const events: Event[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await client.events.list(calendarId, {
        ...options.params,
        // After the spread: an explicit `maxResults: undefined` means the default, as an absent one does.
        maxResults: options.params?.maxResults ?? 2500,
        ...(syncToken !== undefined ? { syncToken } : {}),
        ...(pageToken !== undefined ? { pageToken } : {}),
        ...(signal !== undefined ? { signal } : {}),
      });
      pages++;
      events.push(...(page.items ?? []));
      if (page.nextPageToken) {
        pageToken = page.nextPageToken;
        continue;
      }
      if (!page.nextSyncToken) {
        throw new CalendarApiError(
          "unexpected_response",
          `Cannot sync calendar "${calendarId}": the last page of events.list has no nextSyncToken`,
          {
            status: 200,
            method: "calendar.events.list",
            calendarId,
            ...(client.subject !== undefined ? { subject: client.subject } : {}),
            scopes: [...client.scopes],
            hint: "Sync works on calendars whose events the acting user can list; check the calendar ID",
          },
        );
      }
      return { events, syncToken: page.nextSyncToken, pages };
    }
  }

  return {
    key,
    async run(runOptions = {}) {
      const stored = (await store.get(key)) ?? undefined;
      let fullSyncRequired = false;
      let listed: Awaited<ReturnType<typeof listAll>> | undefined;
      if (stored !== undefined) {
        try {
          listed = await listAll(stored, runOptions.signal);
        } catch (error) {
          if (!(error instanceof CalendarApiError && error.code === "full_sync_required"))
            throw error;
          fullSyncRequired = true;
          await store.delete(key);
        }
      }
      const fullSync = listed === undefined;
      listed ??= await listAll(undefined, runOptions.signal);
      await store.set(key, listed.syncToken);
      return { ...listed, fullSync, fullSyncRequired };
    },
    async reset() {
      await store.delete(key);
    },
  };
}
