// Baseline for `dwd calendars get`: the same job with Google's own libraries — google-auth-library's
// JWT (subject + scopes) and the generated @googleapis/calendar client.
// Its token request reaches the emulator through a request interceptor (routeToEmulator, see there why).
// Usage: node baseline/calendars-get.ts <key.json> <subject> <calendarId>
import { readFileSync } from "node:fs";
import { JWT } from "google-auth-library";
import { calendar } from "@googleapis/calendar";
import { routeToEmulator } from "./route-to-emulator.ts";

const [keyFile, subject, calendarId] = process.argv.slice(2);
const emulator = process.env.EMULATOR_URL;
if (!keyFile || !subject || !calendarId || !emulator) {
  console.error(
    "usage: EMULATOR_URL=http://host:port node baseline/calendars-get.ts <key.json> <subject> <calendarId>",
  );
  process.exit(2);
}
const key = JSON.parse(readFileSync(keyFile, "utf8")) as {
  client_email: string;
  private_key: string;
};

const auth = routeToEmulator(
  new JWT({
    email: key.client_email,
    key: key.private_key,
    subject,
    scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
  }),
  emulator,
);
const api = calendar({ version: "v3", auth, rootUrl: `${emulator}/` });
const res = await api.calendarList.get({ calendarId });
console.log(res.data.summary);
