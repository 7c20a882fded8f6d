import type { CalendarCall } from "./calendar-call.ts";
import { access, noContent, ok, readBody } from "./calendar-call.ts";
import { calendarError, missingField, notFound } from "./calendar-errors.ts";
import type { CalendarData, PushChannel } from "./calendar-state.ts";
import { toHex, randomBytes } from "./base64.ts";

/** Delivery counters of a push hub. */
export interface PushCounts {
  /** POSTs answered 2xx. */
  delivered: number;
  /** POSTs that failed (network error, non-2xx, a redirect). */
  failed: number;
  /** Change notifications dropped by the `pushDropRate` fault (never POSTed). */
  dropped: number;
}

/** The push faults the hub draws from (the fault injector). */
export interface PushFaults {
  /** True when the next change notification is dropped. */
  dropPush(): boolean;
  /** Milliseconds to hold the next notification back. */
  pushDelay(): number;
}

/** Sends push notifications; one ordered queue per channel. */
export interface PushHub {
  /** Notifies the channels watching `collection` (state `exists`, or `not_exists` once the calendar is gone). */
  notify(data: CalendarData, collection: string): void;
  /** Queues the `sync` message of a new channel. */
  start(channel: PushChannel): void;
  /** Resolves once every queued delivery has been attempted (delayed ones included). */
  idle(): Promise<void>;
  counts: PushCounts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A push hub that POSTs with `fetchImpl` (default: the global fetch); `now` gives the emulated clock
 * (channel expiry), `faults` the drop and delay draws. A channel's messages go out one at a time in
 * the order they were made, whatever their delays: a message waits for its own delay and for the
 * message before it, so a delay never reorders one channel.
 */
export function createPushHub(
  fetchImpl: typeof fetch | undefined,
  now: () => number,
  faults: PushFaults,
): PushHub {
  const queues = new Map<string, Promise<void>>();
  const counts: PushCounts = { delivered: 0, failed: 0, dropped: 0 };
  const send = (channel: PushChannel, state: string): void => {
    // Google's message numbers only increase and may skip: a dropped message still uses its number.
    channel.messageNumber += 1;
    if (state !== "sync" && faults.dropPush()) {
      counts.dropped++;
      return;
    }
    const due = Date.now() + faults.pushDelay();
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
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      // A channel past its expiration (on the emulated clock) delivers nothing more.
      if (channel.expiration <= now()) return;
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
    // A drained queue is forgotten, so channels that come and go do not accumulate.
    void next.then(() => {
      if (queues.get(channel.id) === next) queues.delete(channel.id);
    });
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
      // Waits until no queue is left: a delivery may queue no more, but notify() may add while waiting.
      while (queues.size > 0) await Promise.all([...queues.values()]);
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

/** The `pushAllowedOrigins` entry that allows every loopback origin but the emulator's own. */
export const loopbackEntry = "loopback";

/**
 * True when a channel may deliver to `address`: its origin is allowed (listed in
 * `pushAllowedOrigins`, or on a loopback host under the `loopback` entry), it is on a loopback
 * host unless a custom `pushFetch` does the sending, it is not one of the emulator's own, and it is
 * no control-API path.
 */
function deliverable(call: CalendarCall, address: URL): boolean {
  const allowed = call.ctx.pushAllowed;
  const local = isLocal(address);
  const listed =
    (allowed?.has(address.origin) ?? false) || (local && (allowed?.has(loopbackEntry) ?? false));
  if (!listed) return false;
  // The emulator never posts outside the machine; with a custom pushFetch the caller decides what "sending" is.
  if (!local && call.ctx.pushFetchGiven !== true) return false;
  if (ownOrigins(call).has(address.origin)) return false;
  let path = address.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // a malformed escape is checked as written
  }
  return !/^\/+_emulator(?:[/\\]|$)/i.test(path);
}

/** Google's default channel lifetime (`params.ttl` default, 604800 s) and the longest granted here. */
const defaultLifetimeMs = 604_800_000;
const maxLifetimeMs = 30 * 86_400_000;

/** The channel `id` when it is live; an expired one is removed (Google forgets it). */
function liveChannel(data: CalendarData, id: string, nowMs: number): PushChannel | undefined {
  const channel = data.channels.get(id);
  if (channel !== undefined && channel.expiration <= nowMs) {
    data.channels.delete(id);
    return undefined;
  }
  return channel;
}

/** The expiration a watch asks for: `params.ttl` (seconds) or `expiration` (epoch ms), capped. */
function expirationOf(body: Record<string, unknown>, nowMs: number): number {
  const params = body["params"];
  const ttl =
    typeof params === "object" && params !== null
      ? Number((params as Record<string, unknown>)["ttl"])
      : Number.NaN;
  const requested = Number(body["expiration"]);
  let at = nowMs + defaultLifetimeMs;
  if (Number.isFinite(ttl) && ttl > 0) at = nowMs + ttl * 1000;
  else if (Number.isFinite(requested) && requested > nowMs) at = requested;
  return Math.min(at, nowMs + maxLifetimeMs);
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
    if (liveChannel(call.data, body["id"], call.now) !== undefined)
      return calendarError(400, "channelIdNotUnique", "Channel id not unique", call.now);
    const expiration = expirationOf(body, call.now);
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

/** channels.stop: ends a channel by `id` and `resourceId`; 404 when no such channel (or it expired). */
export async function channelsStop(call: CalendarCall): Promise<Response> {
  const body = await readBody(call);
  if (body instanceof Response) return body;
  const channel =
    typeof body["id"] === "string" ? liveChannel(call.data, body["id"], call.now) : undefined;
  if (channel === undefined || channel.resourceId !== body["resourceId"]) return notFound(call.now);
  call.data.channels.delete(channel.id);
  return noContent(call.now);
}
