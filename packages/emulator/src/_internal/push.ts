import type { CalendarCall } from "./calendar-call.ts";
import { access, noContent, ok, readBody } from "./calendar-call.ts";
import { calendarError, missingField, notFound } from "./calendar-errors.ts";
import type { CalendarData, PushChannel } from "./calendar-state.ts";
import { toHex, randomBytes } from "./base64.ts";

/** Sends push notifications; one ordered queue per channel. */
export interface PushHub {
  /** Notifies the channels watching `collection` (state `exists`, or `not_exists` once the calendar is gone). */
  notify(data: CalendarData, collection: string): void;
  /** Queues the `sync` message of a new channel. */
  start(channel: PushChannel): void;
  /** Resolves once every queued delivery has been attempted. */
  idle(): Promise<void>;
  /** Deliveries attempted and failed (network error or non-2xx). */
  counts: { delivered: number; failed: number };
}

/** A push hub that POSTs with `fetchImpl` (default: the global fetch); `now` gives the emulated clock. */
export function createPushHub(fetchImpl: typeof fetch | undefined, now: () => number): PushHub {
  const queues = new Map<string, Promise<void>>();
  const counts = { delivered: 0, failed: 0 };
  const send = (channel: PushChannel, state: string): void => {
    channel.messageNumber += 1;
    const headers: Record<string, string> = {
      "X-Goog-Channel-ID": channel.id,
      "X-Goog-Channel-Expiration": new Date(channel.expiration).toUTCString(),
      "X-Goog-Resource-ID": channel.resourceId,
      "X-Goog-Resource-URI": channel.resourceUri,
      "X-Goog-Resource-State": state,
      "X-Goog-Message-Number": String(channel.messageNumber),
    };
    if (channel.token !== undefined) headers["X-Goog-Channel-Token"] = channel.token;
    const previous = queues.get(channel.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        // Never follow a redirect: an allowed receiver must not steer the POST elsewhere.
        const res = await (fetchImpl ?? fetch)(channel.address, {
          method: "POST",
          headers,
          body: "",
          redirect: "manual",
        });
        await res.body?.cancel();
        if (res.ok) counts.delivered++;
        else counts.failed++;
      } catch {
        counts.failed++;
      }
    });
    queues.set(channel.id, next);
  };
  return {
    counts,
    start: (channel) => send(channel, "sync"),
    notify(data, collection) {
      const nowMs = now();
      for (const channel of data.channels.values()) {
        if (channel.collection !== collection) continue;
        if (channel.expiration <= nowMs) {
          data.channels.delete(channel.id);
          continue;
        }
        const calendarId = /^(?:events|acl):(.*)$/s.exec(collection)?.[1];
        const gone = calendarId !== undefined && data.calendars.get(calendarId)?.deleted === true;
        send(channel, gone ? "not_exists" : "exists");
        if (gone) data.channels.delete(channel.id);
      }
    },
    async idle() {
      let pending = [...queues.values()];
      while (pending.length > 0) {
        await Promise.all(pending);
        const again = [...queues.values()];
        pending = again.filter((p) => !pending.includes(p));
      }
    },
  };
}

const loopback = ["127.0.0.1", "localhost", "[::1]"];

function isLocal(url: URL): boolean {
  return loopback.includes(url.hostname);
}

/** The emulator's own origins (public and listening URL, with loopback aliases): never a push target. */
function ownOrigins(call: CalendarCall): Set<string> {
  const own = new Set<string>();
  for (const base of [call.ctx.baseUrl(), call.ctx.listenUrl?.()]) {
    if (base === undefined) continue;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      continue;
    }
    own.add(url.origin);
    if (isLocal(url))
      for (const host of loopback)
        own.add(`${url.protocol}//${host}${url.port === "" ? "" : `:${url.port}`}`);
  }
  return own;
}

/**
 * True when a channel may deliver to `address`: its origin is allowed (`pushAllowedOrigins`), it is
 * not one of the emulator's own, and it is no control-API path.
 */
function deliverable(call: CalendarCall, address: URL): boolean {
  if (!(call.ctx.pushAllowed?.has(address.origin) ?? false)) return false;
  if (ownOrigins(call).has(address.origin)) return false;
  let path = address.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // a malformed escape is checked as written
  }
  return !/^\/+_emulator(?:[/\\]|$)/i.test(path);
}

/**
 * The `watch` methods: a channel that gets a `sync` message at once, then `exists` (or
 * `not_exists`) on every change to the watched collection. Google demands HTTPS; plain
 * `http://127.0.0.1:…`/`localhost` addresses are allowed here for local tests.
 */
export function watch(
  kind: "events" | "acl" | "calendarList" | "settings",
  hub: PushHub,
): (call: CalendarCall) => Promise<Response> {
  return async (call) => {
    let collection: string;
    if (kind === "events" || kind === "acl") {
      const a = access(call, kind === "acl" ? "owner" : "freeBusyReader");
      if (a instanceof Response) return a;
      collection = `${kind}:${a.calendar.id}`;
    } else collection = `${kind}:${call.principal}`;
    const body = await readBody(call);
    if (body instanceof Response) return body;
    if (typeof body["id"] !== "string" || body["id"] === "")
      return missingField("Missing channel id.", call.now);
    const type = body["type"];
    if (type !== "web_hook" && type !== "webhook")
      return calendarError(400, "invalid", "Invalid Value", call.now, {
        location: { type: "parameter", name: "type" },
      });
    let address: URL;
    try {
      address = new URL(typeof body["address"] === "string" ? body["address"] : "");
    } catch {
      return missingField("Missing address.", call.now);
    }
    if (address.protocol !== "https:" && !(address.protocol === "http:" && isLocal(address))) {
      return calendarError(
        400,
        "push.webhookUrlNotHttps",
        `WebHook callback must be HTTPS: ${address.href}`,
        call.now,
      );
    }
    if (!deliverable(call, address)) {
      return calendarError(
        403,
        "push.webhookUrlUnauthorized",
        `Unauthorized WebHook callback channel: ${address.href}`,
        call.now,
      );
    }
    if (call.data.channels.has(body["id"]))
      return calendarError(400, "channelIdNotUnique", "Channel id not unique", call.now);
    const requested = Number(body["expiration"]);
    const max = call.now + 30 * 86_400_000;
    const expiration =
      Number.isFinite(requested) && requested > call.now
        ? Math.min(requested, max)
        : call.now + 7 * 86_400_000;
    const resourceUri = new URL(call.request.url);
    resourceUri.pathname = resourceUri.pathname.replace(/\/watch$/, "");
    resourceUri.search = "?alt=json";
    const channel: PushChannel = {
      id: body["id"],
      resourceId: toHex(randomBytes(14)),
      resourceUri: resourceUri.href,
      address: address.href,
      expiration,
      collection,
      messageNumber: 0,
    };
    if (typeof body["token"] === "string") channel.token = body["token"];
    call.data.channels.set(channel.id, channel);
    hub.start(channel);
    const res: Record<string, unknown> = {
      kind: "api#channel",
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
    };
    if (channel.token !== undefined) res["token"] = channel.token;
    res["expiration"] = String(expiration);
    return ok(call, res);
  };
}

/** channels.stop: ends a channel by `id` and `resourceId`; 404 when no such channel. */
export async function channelsStop(call: CalendarCall): Promise<Response> {
  const body = await readBody(call);
  if (body instanceof Response) return body;
  const channel = typeof body["id"] === "string" ? call.data.channels.get(body["id"]) : undefined;
  if (channel === undefined || channel.resourceId !== body["resourceId"]) return notFound(call.now);
  call.data.channels.delete(channel.id);
  return noContent(call.now);
}
