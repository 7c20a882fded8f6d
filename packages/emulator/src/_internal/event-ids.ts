import { randomBytes, stringToBase64Url } from "./base64.ts";

const base32hex = "0123456789abcdefghijklmnopqrstuv";

/** A new event ID: 26 random base32hex characters, like Google's. */
export function newEventId(): string {
  return [...randomBytes(26)].map((b) => base32hex[b & 31]).join("");
}

/** Client-chosen event IDs: base32hex (`a`–`v`, `0`–`9`), 5 to 1024 characters. */
export function validEventId(id: string): boolean {
  return /^[a-v0-9]{5,1024}$/.test(id);
}

/** Splits a recurring instance ID `<base>_<20260401T080000Z|20260401>` into its parts. */
export function splitInstanceId(id: string): { base: string; key: string } | undefined {
  const m = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(id);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { base: m[1], key: m[2] };
}

/** Google's `htmlLink`: `eid` is base64url of `<eventId> <calendarId>`. */
export function htmlLink(eventId: string, calendarId: string): string {
  return `https://www.google.com/calendar/event?eid=${stringToBase64Url(`${eventId} ${calendarId}`)}`;
}

/** A Meet code `abc-defg-hij` derived from a seed, so the same event keeps the same link. */
export function meetCode(seed: string): string {
  let h = 0x811c9dc5;
  const letters: string[] = [];
  for (let i = 0; i < 10; i++) {
    for (const ch of `${seed}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    letters.push(String.fromCharCode(97 + (h % 26)));
  }
  const s = letters.join("");
  return `${s.slice(0, 3)}-${s.slice(3, 7)}-${s.slice(7, 10)}`;
}
