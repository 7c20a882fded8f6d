/**
 * `GET /v1/users/{subject}/calendarList/{calendarId}`: one entry of the subject's calendar list.
 *
 * @module
 */

import { calendarFor, json } from "../_internal/reply.ts";
import type { AppContext, Handler } from "../pipeline.ts";

/**
 * The calendar-list handlers, by operationId.
 *
 * @param ctx the app's context
 * @returns the handlers
 */
export function calendarListHandlers(ctx: AppContext): Record<string, Handler> {
  return {
    async calendarListGet(_c, { caller, path }) {
      return json(
        await calendarFor(ctx.options, caller, path.subject!, "calendarList.get").calendarList.get(
          path.calendarId!,
        ),
      );
    },
  };
}
