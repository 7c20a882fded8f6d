// google-auth-library posts to https://oauth2.googleapis.com/token whatever the key's token_uri says.
// The baseline keeps the library's own default transport and reaches the emulator the way a user of
// the library would: a request interceptor on the client's own Gaxios transporter rewrites Google's
// hosts to the emulator. (The assertion's `aud` stays Google's URL, which the emulator accepts.)
// Plain JavaScript (types in JSDoc, checked by bench's tsconfig), so the baselines that run as scripts
// of their own (baseline/*.mjs) load it without Node's TypeScript loader.

import { calendar } from "@googleapis/calendar";
import { JWT } from "google-auth-library";

const googleHost = /^https:\/\/[a-z0-9.]*googleapis\.com/;

/**
 * Sends `client`'s requests for `https://*.googleapis.com` to `emulatorUrl`, with its own transport.
 * @template {import("google-auth-library").AuthClient} T
 * @param {T} client
 * @param {string} emulatorUrl
 * @returns {T}
 */
export function routeToEmulator(client, emulatorUrl) {
  client.transporter.interceptors.request.add({
    resolved: (config) => {
      const url = String(config.url);
      if (googleHost.test(url)) config.url = new URL(url.replace(googleHost, emulatorUrl));
      return Promise.resolve(config);
    },
  });
  return client;
}

/**
 * Google's Calendar client acting as `subject`, as a user of Google's libraries builds it: a
 * google-auth-library JWT (the key, the subject, calendar.readonly) and @googleapis/calendar, both
 * reaching the emulator (see {@link routeToEmulator}).
 * @param {{ client_email: string, private_key: string }} key the service account's JSON key
 * @param {string} subject the user to act as
 * @param {string} emulatorUrl the emulator's base URL
 */
export function calendarAs(key, subject, emulatorUrl) {
  const auth = routeToEmulator(
    new JWT({
      email: key.client_email,
      key: key.private_key,
      subject,
      scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
    }),
    emulatorUrl,
  );
  return calendar({ version: "v3", auth, rootUrl: `${emulatorUrl}/` });
}
