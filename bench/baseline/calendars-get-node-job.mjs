// The floor for `dwd calendars get`: the same job written by hand with nothing but Node's built-ins, the
// shortest program that does it. Reads the JSON key, signs the RS256 JWT assertion with node:crypto
// (sub = the subject, scope calendar.readonly: the scope dwd picks for calendarList.get), posts it to the
// token endpoint with node:http, GETs calendarList/{calendarId} with the token and prints the entry's
// summary, as dwd does. No retries, no diagnoses, no redaction: what dwd adds must cost (almost) nothing.
// The job is here; its two entries differ only in how they get the built-ins it uses:
//   calendars-get-node.mjs       ES imports (`import { request } from "node:http"`), as Node's
//                                documentation and a hand-written script write it: the target's floor;
//   calendars-get-node-lean.mjs  process.getBuiltinModule, as dwd gets them, which skips the ES facade
//                                of every export (for node:http that reads its lazy WebSocket getter,
//                                which loads undici): the leanest program that does the job.
// Plain JavaScript (types in JSDoc, checked by bench's tsconfig): Node strips a .ts file's types with a
// loader it compiles first, which a floor must not pay.
/* global process, Buffer */

/**
 * Runs the job with the given built-ins.
 * @param {{
 *   createSign: typeof import("node:crypto").createSign,
 *   readFileSync: typeof import("node:fs").readFileSync,
 *   writeSync: typeof import("node:fs").writeSync,
 *   request: typeof import("node:http").request,
 * }} builtins
 * @returns {Promise<void>}
 */
export async function run({ createSign, readFileSync, writeSync, request }) {
  const [keyFile, subject, calendarId] = process.argv.slice(2);
  const emulator = process.env.EMULATOR_URL;
  if (!keyFile || !subject || !calendarId || !emulator) {
    process.stderr.write(
      "usage: EMULATOR_URL=http://host:port node baseline/calendars-get-node[-lean].mjs <key.json> <subject> <calendarId>\n",
    );
    process.exit(2);
  }
  /**
   * JSON.parse, typed as what it is.
   * @param {string} text
   * @returns {unknown}
   */
  const parse = (text) => JSON.parse(text);

  const key = /** @type {{ client_email: string, private_key: string, private_key_id: string }} */ (
    parse(readFileSync(keyFile, "utf8"))
  );

  /**
   * One HTTP exchange; resolves with the body, rejects on anything but 200.
   * @param {string} method
   * @param {string} url
   * @param {Record<string, string>} headers
   * @param {string} [body]
   * @returns {Promise<string>}
   */
  function send(method, url, headers, body) {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (/** @type {string} */ chunk) => (text += chunk));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(text)
            : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`)),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  /** @param {string} s */
  const b64url = (s) => Buffer.from(s).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.private_key_id }))}.${b64url(
    JSON.stringify({
      iss: key.client_email,
      sub: subject,
      scope: "https://www.googleapis.com/auth/calendar.readonly",
      aud: "https://oauth2.googleapis.com/token",
      iat: now,
      exp: now + 3600,
    }),
  )}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(key.private_key, "base64url");
  const form = new URLSearchParams({
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    assertion: `${unsigned}.${signature}`,
  }).toString();
  const token = /** @type {{ access_token: string }} */ (
    parse(
      await send(
        "POST",
        `${emulator}/token`,
        {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": String(Buffer.byteLength(form)),
        },
        form,
      ),
    )
  );
  const entry = /** @type {{ id: string, summary?: string }} */ (
    parse(
      await send(
        "GET",
        `${emulator}/calendar/v3/users/me/calendarList/${encodeURIComponent(calendarId)}`,
        { authorization: `Bearer ${token.access_token}` },
      ),
    )
  );
  writeSync(1, `${entry.summary ?? entry.id}\n`);
}
