// google-auth-library posts to https://oauth2.googleapis.com/token whatever the key's token_uri says; a
// fetch that rewrites Google's hosts to the emulator is how its JWT client reaches the emulator.
// (The assertion's `aud` stays Google's URL, which the emulator accepts.)

/** A fetch that sends requests for `https://*.googleapis.com` to `emulatorUrl` instead. */
export function routeToEmulator(emulatorUrl: string): typeof fetch {
  return (input, init) =>
    fetch(
      String(input instanceof Request ? input.url : input).replace(
        /^https:\/\/[a-z0-9.]*googleapis\.com/,
        emulatorUrl,
      ),
      init,
    );
}
