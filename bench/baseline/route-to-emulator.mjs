// google-auth-library posts to https://oauth2.googleapis.com/token whatever the key's token_uri says.
// The baseline keeps the library's own default transport and reaches the emulator the way a user of
// the library would: a request interceptor on the client's own Gaxios transporter rewrites Google's
// hosts to the emulator. (The assertion's `aud` stays Google's URL, which the emulator accepts.)
// Plain JavaScript (types in JSDoc, checked by bench's tsconfig), so the baselines that run as scripts
// of their own (baseline/*.mjs) load it without Node's TypeScript loader.

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
