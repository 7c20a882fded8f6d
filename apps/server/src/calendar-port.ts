/**
 * The part of `@dwd/calendar`'s client (its contract: methods named as in the discovery document,
 * positional path parameters, then the body, then one object of query parameters and per-call options)
 * that dwd-server calls. Declared here structurally so the server states exactly what it depends on.
 *
 * @module
 */

/** Query parameters and per-call options. */
export type CallParams = Record<string, string | number | boolean | undefined> & { signal?: AbortSignal };

/** A Calendar event (Google's resource; the server passes it through). */
export type CalendarEvent = Record<string, unknown> & { id?: string };

/** What freebusy.query answers. */
export interface FreeBusyAnswer {
  calendars?: Record<string, { busy?: { start: string; end: string }[]; errors?: { domain?: string; reason?: string }[] }>;
}

/** The client methods dwd-server uses. */
export interface CalendarPort {
  calendarList: { get(calendarId: string, params?: CallParams): Promise<unknown> };
  events?: {
    list(calendarId: string, params?: CallParams): Promise<{ items?: CalendarEvent[]; nextPageToken?: string } & Record<string, unknown>>;
    get(calendarId: string, eventId: string, params?: CallParams): Promise<CalendarEvent>;
    insert(calendarId: string, event: CalendarEvent, params?: CallParams): Promise<CalendarEvent>;
    patch(calendarId: string, eventId: string, patch: CalendarEvent, params?: CallParams): Promise<CalendarEvent>;
    delete(calendarId: string, eventId: string, params?: CallParams): Promise<unknown>;
  };
  freebusy?: {
    query(body: { timeMin: string; timeMax: string; items: { id: string }[]; timeZone?: string }, params?: CallParams): Promise<FreeBusyAnswer>;
  };
}
