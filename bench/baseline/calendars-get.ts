// Baseline for `dwd calendars get`: the same job with Google's own libraries — google-auth-library's
// JWT (subject + scopes) and the generated @googleapis/calendar client.
// google-auth-library posts to https://oauth2.googleapis.com/token whatever the key's token_uri says, so
// the token request is routed to the emulator by a fetch that rewrites Google's hosts to EMULATOR_URL.
// Usage: node baseline/calendars-get.ts <key.json> <subject> <calendarId>
import { readFileSync } from "node:fs";
import { JWT } from "google-auth-library";
import { calendar } from "@googleapis/calendar";

const [keyFile, subject, calendarId] = process.argv.slice(2);
const emulator = process.env.EMULATOR_URL;
if (!keyFile || !subject || !calendarId || !emulator) {
  console.error("usage: EMULATOR_URL=http://host:port node baseline/calendars-get.ts <key.json> <subject> <calendarId>");
  process.exit(2);
}
const key = JSON.parse(readFileSync(keyFile, "utf8")) as { client_email: string; private_key: string };
const toEmulator: typeof fetch = (input, init) =>
  fetch(String(input instanceof Request ? input.url : input).replace(/^https:\/\/[a-z0-9.]*googleapis\.com/, emulator), init);

const auth = new JWT({
  email: key.client_email,
  key: key.private_key,
  subject,
  scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
  transporterOptions: { fetchImplementation: toEmulator },
});
const api = calendar({ version: "v3", auth, rootUrl: `${emulator}/` });
const res = await api.calendarList.get({ calendarId });
console.log(res.data.summary);
