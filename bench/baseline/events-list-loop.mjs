// Baseline for `dwd events list --subjects-file users.txt --json`, run as a script of its own (a fresh
// process, as an admin runs dwd): Google's client in a loop at concurrency 10 — google-auth-library's JWT
// per user and the generated @googleapis/calendar client, following nextPageToken — printing what dwd
// prints: one JSON array of every user's events, each with its user's `subject`, indented by 2.
// Its requests reach the emulator through a request interceptor (calendarAs and routeToEmulator, see there why).
// Plain JavaScript (types in JSDoc, checked by bench's tsconfig), so no TypeScript loader is counted.
// Usage: EMULATOR_URL=http://host:port node baseline/events-list-loop.mjs <key.json> <users.txt>
/* global process, console, Buffer */
import { readFileSync, writeSync } from "node:fs";
import { calendarAs } from "./route-to-emulator.mjs";

const CONCURRENCY = 10;
const [keyFile, usersFile] = process.argv.slice(2);
const emulator = process.env.EMULATOR_URL;
if (!keyFile || !usersFile || !emulator) {
  console.error(
    "usage: EMULATOR_URL=http://host:port node baseline/events-list-loop.mjs <key.json> <users.txt>",
  );
  process.exit(2);
}
/** @type {unknown} */
const parsed = JSON.parse(readFileSync(keyFile, "utf8"));
const key = /** @type {{ client_email: string, private_key: string }} */ (parsed);
const users = readFileSync(usersFile, "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "");

/** @type {unknown[][]} each user's events, in the users' order */
const byUser = users.map(() => []);
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < users.length) {
      const index = next++;
      const subject = /** @type {string} */ (users[index]);
      const api = calendarAs(key, subject, emulator);
      /** @type {string | undefined} */
      let pageToken;
      do {
        const res = await api.events.list({ calendarId: "primary", maxResults: 2500, pageToken });
        for (const event of res.data.items ?? []) byUser[index]?.push({ subject, ...event });
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    }
  }),
);
const text = `${JSON.stringify(byUser.flat(), null, 2)}\n`;
const bytes = Buffer.from(text);
for (let written = 0; written < bytes.length;) written += writeSync(1, bytes, written);
