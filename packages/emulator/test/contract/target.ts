/**
 * A contract target: where the token endpoint and the Google APIs are, and whom to act as. The cases
 * (cases.ts) speak plain HTTP with `fetch` and Web Crypto, never through dwd's own libraries, so a
 * library bug cannot hide a difference between the emulator and Google.
 */

/** The fields of a service-account JSON key the cases use. */
export interface ContractKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

/** One place to run the cases: the emulator on a socket, or Google itself. */
export interface ContractTarget {
  /** `"emulator"` or `"google"`, for test names. */
  name: string;
  /** Where the jwt-bearer grant is POSTed; also the assertion's `aud`. */
  tokenUrl: string;
  /** The API origin: `https://www.googleapis.com` or the emulator's URL (Calendar under `/calendar/v3`, batch under `/batch/calendar/v3`). */
  apiRoot: string;
  key: ContractKey;
  /** A user of `domain` the key's client is granted `…/auth/calendar` for (DWD). */
  subject: string;
  /** The Workspace domain of `subject`. */
  domain: string;
  /** A second user of `domain` for the attendee cases; they are skipped without one. */
  attendee?: string;
}

/** The answer of one HTTP exchange, body read as text and (when it parses) JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar";

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const encoder = new TextEncoder();

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Imports a PKCS#8 PEM private key for RS256 signing. */
export async function importKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey(
    "pkcs8",
    der,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/** A fresh RSA key that belongs to no service account (for the bad-signature case). */
export async function strangerKey(): Promise<CryptoKey> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign", "verify"],
  );
  return pair.privateKey;
}

/** A signed jwt-bearer assertion for `target`; `claims` overrides the defaults (undefined drops one). */
export async function assertion(
  target: ContractTarget,
  claims: Record<string, unknown> = {},
  signWith?: CryptoKey,
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) - 10;
  const all: Record<string, unknown> = {
    iss: target.key.client_email,
    sub: target.subject,
    scope: CALENDAR_SCOPE,
    aud: target.tokenUrl,
    iat,
    exp: iat + 3600,
  };
  for (const [k, v] of Object.entries(claims)) {
    if (v === undefined) delete all[k];
    else all[k] = v;
  }
  const input = `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${b64url(JSON.stringify(all))}`;
  const key = signWith ?? (await importKey(target.key.private_key));
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, encoder.encode(input)),
  );
  return `${input}.${b64url(sig)}`;
}

/** POSTs a form to the token endpoint. */
export async function postToken(
  target: ContractTarget,
  form: Record<string, string>,
): Promise<Answer> {
  return answer(
    await fetch(target.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    }),
  );
}

const tokens = new Map<string, Promise<string>>();

/** An access token for `subject` (default the target's) with the Calendar scope, or a thrown error. */
export function tokenFor(
  target: ContractTarget,
  subject: string = target.subject,
): Promise<string> {
  const cacheKey = `${target.tokenUrl} ${target.key.client_email} ${subject}`;
  let held = tokens.get(cacheKey);
  if (held === undefined) {
    held = (async () => {
      const res = await postToken(target, {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: await assertion(target, { sub: subject }),
      });
      const token = (res.json as { access_token?: unknown } | undefined)?.access_token;
      if (res.status !== 200 || typeof token !== "string")
        throw new Error(`No token for "${subject}": ${res.status} ${res.text}`);
      return token;
    })();
    tokens.set(cacheKey, held);
    held.catch(() => tokens.delete(cacheKey));
  }
  return held;
}

/** Calls `/calendar/v3/<path>` as `subject` (default the target's). */
export async function calendar(
  target: ContractTarget,
  method: string,
  path: string,
  options: { body?: unknown; subject?: string } = {},
): Promise<Answer> {
  const token = await tokenFor(target, options.subject);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  return answer(
    await fetch(`${target.apiRoot}/calendar/v3/${path}`, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    }),
  );
}

/** POSTs a multipart batch of `GET` parts (paths under `/calendar/v3/`) as the target's subject. */
export async function batchGet(target: ContractTarget, paths: readonly string[]): Promise<Answer> {
  const token = await tokenFor(target);
  const boundary = "batch_contract";
  const body =
    paths
      .map(
        (p, i) =>
          `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <part${i + 1}>\r\n\r\nGET /calendar/v3/${p} HTTP/1.1\r\n\r\n`,
      )
      .join("") + `--${boundary}--\r\n`;
  return answer(
    await fetch(`${target.apiRoot}/batch/calendar/v3`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/mixed; boundary=${boundary}`,
      },
      body,
    }),
  );
}

/** The parts of a multipart/mixed batch answer: Content-ID, inner status, inner body text. */
export function batchParts(a: Answer): { contentId: string; status: number; body: string }[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(a.headers.get("content-type") ?? "")?.[2] ?? "";
  return a.text
    .split(`--${boundary}`)
    .slice(1)
    .filter((c) => !c.startsWith("--"))
    .map((chunk) => ({
      contentId: /Content-ID:\s*(\S+)/i.exec(chunk)?.[1] ?? "",
      status: Number(/HTTP\/1\.1 (\d{3})/.exec(chunk)?.[1]),
      body: chunk
        .split(/\r\n\r\n/)
        .slice(2)
        .join("\r\n\r\n")
        .trim(),
    }));
}
