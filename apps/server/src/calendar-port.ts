/**
 * The Calendar calls dwd-server makes, as one small interface: server.ts adapts `@dwd/calendar`'s client
 * to it (contract: methods named as in the discovery document, positional path parameters, then the body,
 * then query parameters), and tests can stand in for it. Results pass through to callers unchanged.
 *
 * @module
 */

/** Query parameters. */
export type CallParams = Record<string, string | number | boolean | undefined>;

/** A Calendar event (Google's resource; the server passes it through). */
export type CalendarEvent = Record<string, unknown> & { id?: string };

/** One subject's answer of freebusy.query. */
export interface FreeBusyEntry {
  busy?: { start?: string | null; end?: string | null }[] | null;
  errors?: { domain?: string | null; reason?: string | null }[] | null;
}

/** What freebusy.query answers. */
export interface FreeBusyAnswer {
  calendars?: Record<string, FreeBusyEntry> | null;
}

/** The client methods dwd-server uses, acting as one subject. */
export interface CalendarPort {
  calendarList: { get(calendarId: string): Promise<unknown> };
  events?: {
    list(calendarId: string, params?: CallParams): Promise<unknown>;
    get(calendarId: string, eventId: string, params?: CallParams): Promise<unknown>;
    insert(calendarId: string, event: CalendarEvent, params?: CallParams): Promise<unknown>;
    patch(
      calendarId: string,
      eventId: string,
      patch: CalendarEvent,
      params?: CallParams,
    ): Promise<unknown>;
    delete(calendarId: string, eventId: string, params?: CallParams): Promise<unknown>;
    // Properties, not methods: optional (an older client lacks them) and called detached.
    update?: (
      calendarId: string,
      eventId: string,
      event: CalendarEvent,
      params?: CallParams,
    ) => Promise<unknown>;
    move?: (
      calendarId: string,
      eventId: string,
      destination: string,
      params?: CallParams,
    ) => Promise<unknown>;
    instances?: (calendarId: string, eventId: string, params?: CallParams) => Promise<unknown>;
  };
  freebusy?: {
    query(body: {
      timeMin: string;
      timeMax: string;
      items: { id: string }[];
    }): Promise<FreeBusyAnswer>;
  };
}

/** Free/busy of many subjects at once (one batch, each part with its subject's token); per subject, an answer or an error. */
export type FreeBusyMany = (
  subjects: readonly string[],
  scope: string,
  range: { timeMin: string; timeMax: string },
) => Promise<Record<string, { ok: true; value: FreeBusyAnswer } | { ok: false; error: unknown }>>;
