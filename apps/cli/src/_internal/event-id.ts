// Deterministic event IDs for `dwd events create --file`: the same input line, calendar and user always
// give the same ID, so a retried or interrupted run inserts nothing twice (Google answers 409 duplicate).
import { createHash } from "node:crypto";

const base32hex = "0123456789abcdefghijklmnopqrstuv";

/** JSON with object keys sorted, so reformatting a line (spaces, key order) keeps its ID. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Lower-case base32hex (RFC 4648 §7 without padding): the alphabet Google's event IDs allow. */
export function toBase32hex(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32hex[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += base32hex[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The event ID for one input line: 32 base32hex characters (160 bits) of SHA-256 over the calendar,
 * the user and the line's canonical JSON. Changing any of the three gives another event.
 */
export function deterministicEventId(
  event: unknown,
  calendarId: string,
  subject: string | undefined,
): string {
  const digest = createHash("sha256")
    .update(`dwd-event-v1\u0000${calendarId}\u0000${subject ?? ""}\u0000${canonicalJson(event)}`)
    .digest();
  return toBase32hex(new Uint8Array(digest)).slice(0, 32);
}

/** Whether an ID is one Google accepts for a new event: base32hex, 5 to 1024 characters. */
export function isValidEventId(id: string): boolean {
  return /^[0-9a-v]{5,1024}$/.test(id);
}
