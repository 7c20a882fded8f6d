/**
 * A mirror record as compact JSON, for stores that keep text (Redis): one-letter fields, defaults left
 * out (`confirmed`, `opaque`, `default`), and each date or date-time as one string (`value` or
 * `value~zone`).
 *
 * @module
 */

import type { MirrorRecord } from "./store.ts";
import type { MirrorEvent, MirrorTime } from "./types.ts";

type Compact = Record<string, unknown>;

function timeText(t: MirrorTime | undefined): string | undefined {
  if (t === undefined) return undefined;
  const value = t.dateTime ?? (t.date === undefined ? "" : `@${t.date}`);
  return t.timeZone === undefined ? value : `${value}~${t.timeZone}`;
}

function timeOf(text: unknown): MirrorTime | undefined {
  if (typeof text !== "string") return undefined;
  const cut = text.indexOf("~");
  const value = cut < 0 ? text : text.slice(0, cut);
  const timeZone = cut < 0 ? undefined : text.slice(cut + 1);
  const t: MirrorTime = value.startsWith("@") ? { date: value.slice(1) } : {};
  if (!value.startsWith("@") && value !== "") t.dateTime = value;
  if (timeZone !== undefined) t.timeZone = timeZone;
  return t;
}

function put(o: Compact, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v;
}

function eventText(e: MirrorEvent): Compact {
  const o: Compact = { i: e.id };
  put(o, "s", e.status === "confirmed" ? undefined : e.status);
  put(o, "b", timeText(e.start));
  put(o, "e", timeText(e.end));
  put(o, "t", e.transparency === "opaque" ? undefined : e.transparency);
  put(o, "r", e.recurrence);
  put(o, "p", e.recurringEventId);
  put(o, "o", timeText(e.originalStartTime));
  put(o, "a", e.selfResponse);
  put(o, "y", e.eventType === "default" ? undefined : e.eventType);
  return o;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function eventOf(o: Compact): MirrorEvent | undefined {
  const id = str(o["i"]);
  if (id === undefined) return undefined;
  const e: MirrorEvent = { id, status: str(o["s"]) ?? "confirmed" };
  const set = <K extends keyof MirrorEvent>(k: K, v: MirrorEvent[K] | undefined): void => {
    if (v !== undefined) e[k] = v;
  };
  set("start", timeOf(o["b"]));
  set("end", timeOf(o["e"]));
  set("transparency", str(o["t"]));
  set(
    "recurrence",
    Array.isArray(o["r"]) ? o["r"].filter((l): l is string => typeof l === "string") : undefined,
  );
  set("recurringEventId", str(o["p"]));
  set("originalStartTime", timeOf(o["o"]));
  set("selfResponse", str(o["a"]));
  set("eventType", str(o["y"]));
  return e;
}

/**
 * A record as compact JSON text.
 *
 * @param record the record
 * @returns its text
 */
export function recordText(record: MirrorRecord): string {
  const o: Compact = {};
  put(o, "k", record.syncToken);
  put(o, "z", record.timeZone);
  put(o, "l", record.lastSync);
  put(o, "f", record.lastFullSync);
  put(o, "w", record.windowFrom === undefined ? undefined : [record.windowFrom, record.windowTo]);
  const c = record.channel;
  put(o, "c", c && [c.id, c.resourceId, c.tokenHash, c.expiration]);
  o["e"] = [...record.events.values()].map(eventText);
  return JSON.stringify(o);
}

/**
 * A record back from its text.
 *
 * @param text what {@link recordText} wrote
 * @returns the record, or undefined when the text is not one
 */
export function recordOf(text: string): MirrorRecord | undefined {
  let o: Compact;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    o = parsed as Compact;
  } catch {
    return undefined;
  }
  const events = new Map<string, MirrorEvent>();
  for (const item of Array.isArray(o["e"]) ? (o["e"] as unknown[]) : []) {
    const e = typeof item === "object" && item !== null ? eventOf(item as Compact) : undefined;
    if (e !== undefined) events.set(e.id, e);
  }
  const record: MirrorRecord = { events };
  record.syncToken = str(o["k"]);
  record.timeZone = str(o["z"]);
  record.lastSync = num(o["l"]);
  record.lastFullSync = num(o["f"]);
  const w = o["w"];
  if (Array.isArray(w)) {
    record.windowFrom = num(w[0]);
    record.windowTo = num(w[1]);
  }
  const c = o["c"];
  if (Array.isArray(c) && typeof c[0] === "string" && typeof c[1] === "string") {
    record.channel = {
      id: c[0],
      resourceId: c[1],
      tokenHash: str(c[2]) ?? "",
      expiration: num(c[3]) ?? 0,
    };
  }
  return record;
}
