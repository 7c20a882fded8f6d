// `dwd calendars get`, the seed call: a module of its own, so the bundle runs it from a small chunk of its
// own (dist/chunks/seed.js) without loading every other command. `dwd calendars` holds it as its `get`.
import type { ArgsDef } from "citty";
import { defineCommand } from "citty";
import { subjectFrom } from "../_internal/args.ts";
import { calendarCall } from "../_internal/calendar-call.ts";
import { callArgs } from "../_internal/call-args.ts";
import { delegatedScopesFor } from "../_internal/delegated-scopes.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import { explicitScopes } from "../_internal/scope-choice.ts";
import type { KeyOptions } from "../_internal/session.ts";
import { keyOptionsFrom, openSession } from "../_internal/session.ts";
import { UsageError } from "../_internal/usage-error.ts";

/** Options of {@link calendarsGet} (also run in-process by `dwd demo`). */
export interface CalendarsOptions extends KeyOptions {
  subject?: string;
  json?: boolean;
  /** --scopes, parsed; absent: the narrowest scope the method accepts that the grant holds. */
  scopes?: string[];
}

/** `dwd calendars get`: prints the entry's summary (or the entry as JSON). */
export async function calendarsGet(
  calendarId: string,
  options: CalendarsOptions,
  io: Io,
): Promise<number> {
  if (calendarId.trim() === "")
    throw new UsageError(
      "Missing calendar ID: it is empty",
      'Give a calendar ID, e.g. "primary" or info@example.com',
    );
  const session = await openSession(options, io, delegatedScopesFor(options.scopes));
  // A retry is said on stderr (one user waits for it).
  const say = session.log ?? ((line: string): void => io.err(line));
  const { client, scopes } = calendarCall(session, "calendarList.get", options.scopes, say);
  const chosen = await scopes.scopesFor(options.subject);
  const entry = await client.as(options.subject).calendarList.get(calendarId, { scopes: chosen });
  if (options.json === true) printJson(io, entry);
  else io.out(entry.summary ?? entry.id ?? "");
  return 0;
}

const args = {
  calendarId: {
    type: "positional",
    required: true,
    description: "Calendar ID, e.g. primary or team@example.com",
  },
  ...callArgs,
  json: { type: "boolean", description: "Print the result as JSON" },
} as const satisfies ArgsDef;

/** `dwd calendars get CALENDAR_ID`. */
export const calendarsGetCommand = defineCommand({
  meta: {
    name: "dwd calendars get",
    description: "Print the summary of one calendar-list entry (calendarList.get)",
  },
  args,
  run: (ctx) =>
    calendarsGet(
      typeof ctx.args["calendarId"] === "string" ? ctx.args["calendarId"] : "",
      {
        ...keyOptionsFrom(ctx.args),
        subject: subjectFrom(ctx.args),
        json: ctx.args["json"] === true,
        ...(explicitScopes(ctx.args) !== undefined ? { scopes: explicitScopes(ctx.args) } : {}),
      },
      ioOf(ctx),
    ),
});
