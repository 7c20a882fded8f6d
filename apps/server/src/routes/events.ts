/**
 * `…/users/{subject}/calendars/{calendarId}/events[/{eventId}[/move|/instances]]`: list, insert
 * (idempotent with a key), get, update, patch, move (the destination within the policy too),
 * instances and delete, as the subject; `conferenceDataVersion` passes through (Meet links).
 *
 * @module
 */

import { DwdError } from "@dwd/auth";
import { calendarFor, invalid, json, needs, queryParams } from "../_internal/reply.ts";
import { ProblemError } from "../problem.ts";
import type { CalendarEvent } from "../calendar-port.ts";
import type { AppContext, Handler } from "../pipeline.ts";
import { sha256 } from "../policy.ts";

const eventIdAlphabet = "0123456789abcdefghijklmnopqrstuv"; // base32hex, what Google accepts in event IDs

/**
 * The event ID an `Idempotency-Key` stands for: base32hex of SHA-256(caller, subject, calendar, key), so
 * a retried insert names the same event and Google refuses the duplicate.
 *
 * @param parts caller, subject, calendar ID and key
 * @returns a 51-character event ID
 */
export async function eventIdFor(parts: readonly string[]): Promise<string> {
  const digest = await sha256(parts.join("\n"));
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += eventIdAlphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** A method the client may lack (an older @dwd/calendar): 501 then. */
function method<F>(f: F | undefined, name: string): F {
  if (f === undefined)
    throw new ProblemError(
      501,
      "not_implemented",
      `This build's @dwd/calendar client has no events.${name} method`,
      { hint: "Build dwd-server with a @dwd/calendar that implements it" },
    );
  return f;
}

/**
 * The events handlers, by operationId.
 *
 * @param ctx the app's context
 * @returns the handlers
 */
export function eventsHandlers(ctx: AppContext): Record<string, Handler> {
  const { options } = ctx;
  return {
    async eventsList(_c, { caller, path, query }) {
      return json(
        await needs(calendarFor(options, caller, path.subject!, "events.list"), "events").list(
          path.calendarId!,
          queryParams(query),
        ),
      );
    },
    async eventsInsert(c, { caller, path, query, body }) {
      const events = needs(calendarFor(options, caller, path.subject!, "events.insert"), "events");
      const key = c.req.header("idempotency-key");
      const event = { ...(body as CalendarEvent) };
      if (key === undefined)
        return json(await events.insert(path.calendarId!, event, queryParams(query)), 201);
      event.id = await eventIdFor([
        caller.name,
        path.subject!.toLowerCase(),
        path.calendarId!,
        key,
      ]);
      try {
        return json(await events.insert(path.calendarId!, event, queryParams(query)), 201);
      } catch (error) {
        // The same key was used before: Google refuses the duplicate ID; answer with the event it made.
        if (
          !(error instanceof DwdError) ||
          (error as DwdError & { status?: number }).status !== 409
        )
          throw error;
        return json(await events.get(path.calendarId!, event.id), 200, {
          "idempotent-replayed": "true",
        });
      }
    },
    async eventsPatch(_c, { caller, path, query, body }) {
      return json(
        await needs(calendarFor(options, caller, path.subject!, "events.patch"), "events").patch(
          path.calendarId!,
          path.eventId!,
          body as CalendarEvent,
          queryParams(query),
        ),
      );
    },
    async eventsGet(_c, { caller, path, query }) {
      return json(
        await needs(calendarFor(options, caller, path.subject!, "events.get"), "events").get(
          path.calendarId!,
          path.eventId!,
          queryParams(query),
        ),
      );
    },
    async eventsUpdate(_c, { caller, path, query, body }) {
      const events = needs(calendarFor(options, caller, path.subject!, "events.update"), "events");
      return json(
        await method(events.update, "update")(
          path.calendarId!,
          path.eventId!,
          body as CalendarEvent,
          queryParams(query),
        ),
      );
    },
    async eventsMove(_c, { caller, path, query }) {
      const { destination, ...rest } = query as { destination?: string };
      if (destination === undefined)
        throw invalid([{ field: "destination", problem: "is required: the calendar to move to" }]);
      // The destination is a calendar the caller reaches too: the policy's calendars rule applies.
      if (!caller.allowsCalendar(path.subject!, destination))
        throw new ProblemError(
          403,
          "calendar_not_allowed",
          `Caller "${caller.name}" may not move events to calendar "${destination}" as "${path.subject!.toLowerCase()}": it is outside its policy's calendars`,
          {
            hint: `Add the calendar to the calendars of caller "${caller.name}" in the dwd-server configuration, if it should`,
          },
        );
      const events = needs(calendarFor(options, caller, path.subject!, "events.move"), "events");
      return json(
        await method(events.move, "move")(
          path.calendarId!,
          path.eventId!,
          destination,
          queryParams(rest),
        ),
      );
    },
    async eventsInstances(_c, { caller, path, query }) {
      const events = needs(
        calendarFor(options, caller, path.subject!, "events.instances"),
        "events",
      );
      return json(
        await method(events.instances, "instances")(
          path.calendarId!,
          path.eventId!,
          queryParams(query),
        ),
      );
    },
    async eventsDelete(_c, { caller, path, query }) {
      await needs(calendarFor(options, caller, path.subject!, "events.delete"), "events").delete(
        path.calendarId!,
        path.eventId!,
        queryParams(query),
      );
      return { status: 204 };
    },
  };
}
