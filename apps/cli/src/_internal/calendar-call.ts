// The Calendar client of a session and the scope choice of one method: what every Calendar command builds
// once it has its session (the many-user runs of calendar-run.ts, and `dwd calendars get` alone).
import type { CalendarClient, MethodKey } from "@dwd/calendar";
import { createCalendarClient, methodScopes } from "@dwd/calendar";
import { retryLine } from "./http-log.ts";
import type { ScopeChoice } from "./scope-choice.ts";
import { createScopeChoice } from "./scope-choice.ts";
import type { Session } from "./session.ts";

/** The discovery id of a method key (`events.list` → `calendar.events.list`). */
export const methodId = (key: MethodKey): string => `calendar.${key}`;

/** A session's Calendar client and the scope choice of the method a command calls. */
export interface CalendarCall {
  client: CalendarClient;
  /** A client whose every call asks for `scopes` (for helpers that take a client, like the sync). */
  clientWithScopes: (scopes?: string[]) => CalendarClient;
  scopes: ScopeChoice;
}

/**
 * Builds the client (retries and the deadline of the session, each retry counted and said through `say`)
 * and the scope choice for `method` (`explicit`: --scopes, used as is).
 */
export function calendarCall(
  session: Session,
  method: MethodKey,
  explicit: string[] | undefined,
  say: ((line: string) => void) | undefined,
): CalendarCall {
  const retries = session.retries ?? 5;
  const clientWithScopes = (scopes?: string[]): CalendarClient =>
    createCalendarClient({
      tokenSource: session.tokenSource,
      rootUrl: session.calendarRoot,
      fetch: session.fetch,
      // --timeout bounds a whole call: its retries and the waits between them too.
      timeoutMs: session.timeoutMs,
      retry: { retries },
      onRetry: (event) => {
        session.stats.retries++;
        say?.(retryLine(event, retries));
      },
      ...(scopes !== undefined ? { scopes } : {}),
    });
  const scopes = createScopeChoice({
    method: methodId(method),
    accepted: methodScopes[methodId(method)] ?? [],
    explicit,
    tokenSource: session.tokenSource,
    memory: session.grants,
  });
  return { client: clientWithScopes(), clientWithScopes, scopes };
}
