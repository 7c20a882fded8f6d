import type { Channel } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { defineCommand } from "citty";
import { stringArg } from "../_internal/args.ts";
import { callArgs, openCalendarRun, runFlags } from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import { UsageError } from "../_internal/usage-error.ts";

type Args = Record<string, unknown>;

/** Google's channel IDs: at most 64 characters of `[A-Za-z0-9-_+/=]`. */
const channelId = /^[A-Za-z0-9\-_+/=]{1,64}$/;

function required(args: Args, name: string, example: string): string {
  const value = stringArg(args, name);
  if (value === undefined)
    throw new UsageError(`Missing --${name}`, `Give e.g. --${name} ${example}`);
  return value;
}

/** A random channel token (the receiver compares it): 32 bytes, base64url. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const channelLines = (c: Channel): string[] => [
  `channel ${c.id ?? ""}  resource ${c.resourceId ?? ""}` +
    (c.expiration ? `  expires ${new Date(Number(c.expiration)).toISOString()}` : ""),
];

/**
 * `dwd events watch CALENDAR --address URL`: opens a push channel on the user's events (events.watch).
 * The channel ID is random unless given; so is its token, which Google sends back in every notification's
 * X-Goog-Channel-Token for the receiver to check.
 */
export async function eventsWatch(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const address = required(args, "address", "https://hooks.example.com/calendar");
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new UsageError(
      `Invalid --address "${address}": not an https URL`,
      "Google delivers notifications to a public https:// address with a valid certificate",
    );
  const id = stringArg(args, "channel-id") ?? crypto.randomUUID();
  if (!channelId.test(id))
    throw new UsageError(
      `Invalid --channel-id "${id}": at most 64 of A-Z a-z 0-9 - _ + / =`,
      "Leave it out for a random one",
    );
  const ttl = stringArg(args, "ttl");
  if (ttl !== undefined && !/^\d{1,9}$/.test(ttl))
    throw new UsageError(`Invalid --ttl "${ttl}": not a number of seconds`, "Give e.g. --ttl 3600");
  const token = stringArg(args, "token") ?? randomToken();
  const run = await openCalendarRun(
    "events.watch",
    runFlags(args),
    keyOptionsFrom(args),
    io,
    terminal,
  );
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  const channel = await run.client.as(subject).events.watch(
    calendarId,
    {
      id,
      type: "web_hook",
      address,
      token,
      ...(ttl !== undefined ? { params: { ttl } } : {}),
    },
    { scopes },
  );
  // The token is the caller's own (made here or given) and is printed, unredacted, so the receiver can be
  // told it: like `dwd token`, this is the one output that is a secret the user asked for.
  if (args["json"] === true) io.outSecret(JSON.stringify({ ...channel, token }));
  else {
    for (const line of channelLines(channel)) io.out(line);
    io.outSecret(`token ${token}`);
  }
  return 0;
}

/** `dwd channels stop --id ID --resource-id RID`: stops a push channel, as the user who opened it. */
export async function channelsStop(
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const id = required(args, "id", "01234567-89ab-cdef-0123-456789abcdef");
  const resourceId = required(args, "resource-id", "ret08u3rv24htgh289g");
  const run = await openCalendarRun(
    "channels.stop",
    runFlags(args),
    keyOptionsFrom(args),
    io,
    terminal,
  );
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  await run.client.as(subject).channels.stop({ id, resourceId }, { scopes });
  io.err(`stopped channel ${id}`);
  return 0;
}

/** `dwd events watch`, added to the events command. */
export const eventsWatchCommand = defineCommand({
  meta: {
    name: "dwd events watch",
    description:
      "Open a push channel on a calendar's events (events.watch); prints its ID and token",
  },
  args: {
    calendarId: { type: "positional", required: true, description: "Calendar ID, e.g. primary" },
    ...callArgs,
    address: {
      type: "string",
      valueHint: "url",
      description: "Where Google posts notifications (public https)",
    },
    "channel-id": { type: "string", valueHint: "id", description: "Channel ID (default: random)" },
    token: {
      type: "string",
      valueHint: "text",
      description: "Token sent back with every notification (default: random)",
    },
    ttl: { type: "string", valueHint: "seconds", description: "Requested lifetime in seconds" },
    json: { type: "boolean", description: "Print the channel as JSON" },
  } as const satisfies ArgsDef,
  run: (ctx) => eventsWatch(String(ctx.args.calendarId), ctx.args, ioOf(ctx)),
});

/** The `channels` command. */
export const channelsCommand = defineCommand({
  meta: { name: "dwd channels", description: "Push channels (stop)" },
  subCommands: {
    stop: defineCommand({
      meta: {
        name: "dwd channels stop",
        description: "Stop a push channel (channels.stop), as the user who opened it",
      },
      args: {
        ...callArgs,
        id: { type: "string", valueHint: "id", description: "The channel's ID" },
        "resource-id": {
          type: "string",
          valueHint: "id",
          description: "The channel's resourceId (from events watch)",
        },
      } as const satisfies ArgsDef,
      run: (ctx) => channelsStop(ctx.args, ioOf(ctx)),
    }),
  },
});
