// Baseline for `dwd calendars get`: the same job with Google's own libraries — google-auth-library's
// JWT (subject + scopes) and the generated @googleapis/calendar client.
// Its requests reach the emulator through a request interceptor (calendarAs and routeToEmulator, see there why).
// Plain JavaScript (types in JSDoc, checked by bench's tsconfig): Node strips a .ts file's types with a
// loader it compiles first, which would be counted against Google's libraries.
// Usage: EMULATOR_URL=http://host:port node baseline/calendars-get.mjs <key.json> <subject> <calendarId>
/* global process, console */
import { readFileSync } from "node:fs";
import { calendarAs } from "./route-to-emulator.mjs";

const [keyFile, subject, calendarId] = process.argv.slice(2);
const emulator = process.env.EMULATOR_URL;
if (!keyFile || !subject || !calendarId || !emulator) {
  console.error(
    "usage: EMULATOR_URL=http://host:port node baseline/calendars-get.mjs <key.json> <subject> <calendarId>",
  );
  process.exit(2);
}
/** @type {unknown} */
const parsed = JSON.parse(readFileSync(keyFile, "utf8"));
const key = /** @type {{ client_email: string, private_key: string }} */ (parsed);

const res = await calendarAs(key, subject, emulator).calendarList.get({ calendarId });
console.log(res.data.summary);
